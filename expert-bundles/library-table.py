#!/usr/bin/env python3
"""Rewrites the library table of expert-bundles/README.md from the jars in expert-bundles/library.

Every figure comes from a jar's own expert.json (its provenance), so the table cannot drift from
the jars. Run from the repository root: python3 expert-bundles/library-table.py "<machine, date>"
"""
import json, os, re, sys, zipfile

root = os.path.dirname(os.path.abspath(__file__))
config = json.load(open(os.path.join(root, "..", "configs", "library", "default.json")))
machine = sys.argv[1] if len(sys.argv) > 1 else "2-core Intel Xeon Processor"

rows, made, total_bytes, total_seconds = [], 0, 0, 0
for entry in config["experts"]:
    task = entry if isinstance(entry, str) else entry["task"]
    # the ids TrainingSets gives: a template's task with '/' as '.', a dataset's name + ".dataset"
    expert_id = (entry.get("id") if isinstance(entry, dict) else None) or \
        (task.replace("/", ".") if "/" in task else task + ".dataset")
    jar = os.path.join(root, "library", f"{expert_id}-{config.get('version', '1.0.0')}.jar")
    if not os.path.exists(jar):
        rows.append(f"| {expert_id} | — | not made yet | | | | |")
        continue
    with zipfile.ZipFile(jar) as z:
        meta = json.loads(z.read("expert.json"))
    p = meta["provenance"]
    size = os.path.getsize(jar)
    made += 1
    total_bytes += size
    total_seconds += p["seconds"]
    rows.append(f"| {expert_id} | {meta['kind']} | {p['validationMetric']} {p['validationScore']:.4f} | "
                f"{p['trainExamples']} / {p['validationExamples']} | {p['bestEpoch']} | {p['seconds']} | "
                f"{round(size / 1024)} |")

summary = (f"Made so far: **{made} of {len(config['experts'])}** jars, {total_bytes / 1e6:.1f} MB in all; "
           f"training time recorded in them {total_seconds / 3600:.2f} h (the sum of their `seconds`; "
           f"{machine}, one job at a time beside other work).")
table = ("| expert (id, version 1.0.0) | kind | validation (kept epoch) | train / validation examples "
         "| epoch | training s | jar KB |\n|---|---|---|---|---|---|---|\n" + "\n".join(rows) + "\n")

readme_path = os.path.join(root, "README.md")
readme = open(readme_path).read()
pattern = re.compile(r"Made so far: .*?\n\n\| expert \(id.*?\n(?:\|.*\n)+", re.S)
if not pattern.search(readme):
    sys.exit("expert-bundles/README.md has no library table to rewrite (expected a line 'Made so far: …' and the table)")
readme = pattern.sub(lambda m: summary + "\n\n" + table, readme, count=1)
open(readme_path, "w").write(readme)
print(summary)

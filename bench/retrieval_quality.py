#!/usr/bin/env python3
"""Retrieval of Experts' quality on the installed library (see bench/README.md, `bench/retrieval-quality`).

Seen tasks: for every classification template of a training dataset, 32 validation instances retrieve per task
(dense, label_instance, k = 1); counted: the chosen expert is of the template's own dataset, and is the template's
own Prompt Expert. Held-out tasks: for every classification template of a held-out cluster, its first 100 test
instances are solved per task (the paper's RoE), per instance (k = 8, a mixture of the top 3), by the multitask
baseline, and by every installed expert alone, whose best is the oracle (chosen with the labels). Prints both tables
as Markdown. Runs `./elm exec` against a daemon it starts (and stops) in the repository's home.
"""
import json
import os
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
ELM = os.path.join(ROOT, "elm")
WORK = os.path.join("work", "quality")


def elm(*args, check=True):
    result = subprocess.run([ELM, *args], cwd=ROOT, capture_output=True, text=True)
    if check and result.returncode != 0:
        sys.exit(f"./elm {' '.join(args)} failed ({result.returncode}): {result.stderr.strip()[-2000:]}")
    return result.stdout


def gogo(command):
    """One command's --json document, run in the daemon."""
    return json.loads(elm("exec", "--timeout", "1800", command))


def dataset_of(expert_id):
    return expert_id.split(".")[0]


def main():
    elm("start", "--daemon")
    try:
        run()
    finally:
        elm("stop", check=False)


def run():
    experts = [e for e in gogo("elm:list --json --wait 300")["experts"] if e.get("active")]
    ids = sorted({e["id"] for e in experts})
    tasks = gogo("elm:tasks --json")["tasks"]
    have = {dataset_of(i) for i in ids}
    os.makedirs(os.path.join(ROOT, WORK), exist_ok=True)
    cpu = next((l.split(":", 1)[1].strip() for l in open("/proc/cpuinfo") if l.startswith("model name")), "unknown")
    print(f"{len(ids)} experts installed; machine: {cpu}, {os.cpu_count()} cores\n")

    print("## Seen tasks: the expert chosen for 32 validation instances (dense, label_instance, Q = 32, k = 1)\n")
    print("| template | chosen (votes of 32) | same dataset | own prompt expert |")
    print("|---|---|---|---|")
    same = own = counted = 0
    for t in tasks:
        if t["heldOut"] or t["dataset"] not in have:
            continue
        for template in t["templates"]:
            if template["answers"] != "choices":
                continue
            name = template["id"]
            path = os.path.join(WORK, "seen-" + name.replace("/", ".") + ".jsonl")
            gogo(f"elm:examples --json -n 32 --split validation --jsonl {path} {name}")
            chosen = gogo(f"elm:retrieve --json -q 32 -k 1 --mode dense --format label_instance --per task {path}")["experts"][0]
            is_same = dataset_of(chosen["expertId"]) == t["dataset"]
            is_own = chosen["expertId"] == name.replace("/", ".")
            counted += 1
            same += is_same
            own += is_own
            print(f"| {name} | {chosen['expertId']} ({chosen['votes']}) | {'yes' if is_same else 'no'} | {'yes' if is_own else 'no'} |")
    print(f"\nSame dataset: **{same} of {counted}** templates ({same / max(counted, 1):.0%}; target 90%); "
          f"the template's own prompt expert: {own} of {counted}.\n")

    print("## Held-out tasks: accuracy on the first 100 test instances\n")
    print("| template | RoE per task (chosen) | per instance, k = 8, mixture of 3 | multitask | oracle (expert) "
          "| single experts above MT | share of the oracle's gain over MT (per task) |")
    print("|---|---|---|---|---|---|---|")
    rows = []
    candidates = [i for i in ids if i != "multitask"]
    if "multitask" not in ids or not candidates:
        sys.exit("the held-out comparison needs the multitask baseline and at least one other expert installed")
    for t in tasks:
        if not t["heldOut"]:
            continue
        for template in t["templates"]:
            if template["answers"] != "choices":
                continue
            name = template["id"]
            path = os.path.join(WORK, "held-out-" + name.replace("/", ".") + ".jsonl")
            gogo(f"elm:examples --json -n 100 --split test --jsonl {path} {name}")
            per_task = gogo(f"elm:solve --json --per task -q 32 -k 1 --mixture 1 --format label_instance --mode dense {path}")
            per_instance = gogo(f"elm:solve --json --per instance -k 8 --mixture 3 --format label_instance --mode dense {path}")
            single = {}
            for i in ids:
                single[i] = gogo(f"elm:solve --json --expert {i} {path}")["accuracy"]
            mt = single.get("multitask", float("nan"))
            oracle = max(candidates, key=lambda i: single[i])
            chosen = per_task["retrieval"]["experts"][0]["expertId"]
            gain = single[oracle] - mt
            share = f"{(per_task['accuracy'] - mt) / gain:.0%}" if gain > 0 else "— (no expert above MT)"
            rows.append((per_task["accuracy"], per_instance["accuracy"], mt, single[oracle]))
            beat = sum(1 for i in candidates if single[i] > mt)
            print(f"| {name} | {per_task['accuracy']:.2f} ({chosen}) | {per_instance['accuracy']:.2f} | {mt:.2f} | "
                  f"{single[oracle]:.2f} ({oracle}) | {beat} of {len(candidates)} | {share} |")
    if rows:
        means = [sum(r[c] for r in rows) / len(rows) for c in range(4)]
        share = f"{(means[0] - means[2]) / (means[3] - means[2]):.0%}" if means[3] > means[2] else "—"
        print(f"| **mean** | **{means[0]:.3f}** | **{means[1]:.3f}** | **{means[2]:.3f}** | **{means[3]:.3f}** | | **{share}** |")


if __name__ == "__main__":
    main()

package org.expertlm.console.internal;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

import org.apache.felix.service.command.Descriptor;
import org.apache.felix.service.command.Parameter;

import org.expertlm.api.AdapterTensors;
import org.expertlm.api.Composer;
import org.expertlm.api.Expert;
import org.expertlm.api.ExpertBundle;
import org.expertlm.api.ExpertPackager;
import org.expertlm.api.ExpertRegistry;
import org.expertlm.api.ModelHandle;
import org.expertlm.api.ModelStore;
import org.expertlm.api.NeuralEngine;
import org.expertlm.api.PackagedExpert;
import org.expertlm.api.ScoringInput;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Reference;
import org.osgi.service.component.annotations.ReferenceCardinality;
import org.osgi.service.component.annotations.ReferencePolicy;
import org.osgi.service.component.annotations.ReferencePolicyOption;

/**
 * The expert bundle commands of the {@code elm} scope: package a trained expert, list and inspect the
 * installed ones, ask one, and move between versions (upgrade, rollback, pin, unpin). They talk to the
 * registry; every answer names the id@version that produced it.
 */
@Component(service = ExpertCommands.class, property = {
        "osgi.command.scope=elm",
        "osgi.command.function=package",
        "osgi.command.function=list",
        "osgi.command.function=info",
        "osgi.command.function=ask",
        "osgi.command.function=upgrade",
        "osgi.command.function=rollback",
        "osgi.command.function=pin",
        "osgi.command.function=unpin"})
public final class ExpertCommands {

    private static final String JSON_HELP = "print exactly one JSON document instead of text";
    private static final int GENERATED_TOKENS = 32;

    @Reference(cardinality = ReferenceCardinality.OPTIONAL, policy = ReferencePolicy.DYNAMIC,
            policyOption = ReferencePolicyOption.GREEDY)
    private volatile ExpertRegistry registry;

    @Reference(cardinality = ReferenceCardinality.OPTIONAL, policy = ReferencePolicy.DYNAMIC,
            policyOption = ReferencePolicyOption.GREEDY)
    private volatile ExpertPackager packager;

    @Reference(cardinality = ReferenceCardinality.OPTIONAL, policy = ReferencePolicy.DYNAMIC,
            policyOption = ReferencePolicyOption.GREEDY)
    private volatile ModelStore store;

    @Reference(cardinality = ReferenceCardinality.OPTIONAL, policy = ReferencePolicy.DYNAMIC,
            policyOption = ReferencePolicyOption.GREEDY)
    private volatile NeuralEngine engine;

    @Reference(cardinality = ReferenceCardinality.OPTIONAL, policy = ReferencePolicy.DYNAMIC,
            policyOption = ReferencePolicyOption.GREEDY)
    private volatile Composer composer;

    /** {@code elm:package} ('package' is a Java keyword: Gogo looks for a method named '_' + the command then). */
    @Descriptor("turn a trained expert into its bundle jar, <id>-<version>.jar: manifest, expert.json, adapter.safetensors and its "
            + "library (100 training instances with their sentence vectors); data only, and the same expert gives the same bytes")
    public Object _package(
            @Descriptor("the folder the jar is written to (default: bundles/ in the models folder)") @Parameter(names = "--out",
                    absentValue = "") String out,
            @Descriptor(JSON_HELP) @Parameter(names = "--json", presentValue = "true", absentValue = "false") boolean json,
            @Descriptor("the expert, by id or id@version (see elm:models)") String expert) throws IOException {
        Path folder = out.isEmpty() ? Path.of(required(store, "model store", "engine").location()).resolve("bundles")
                : Path.of(out).toAbsolutePath();
        PackagedExpert packed = required(packager, "expert packager", "registry").pack(expert, folder);
        return json ? Json.write(packed) : String.format("%s: %s (%d bytes, sha256 %s), %d library instances embedded by %s",
                packed.expert().name(), packed.jar(), packed.bytes(), packed.sha256(), packed.libraryInstances(), packed.encoder());
    }

    @Descriptor("list the expert bundles in the container: id, version, state (installed, or refused with the reason), "
            + "active (*) and pinned (pin) versions, task, cluster, kind and tensor bytes")
    public Object list(
            @Descriptor("only experts of this task (a template, a dataset or multitask)") @Parameter(names = "--task", absentValue = "") String task,
            @Descriptor("only experts of this cluster") @Parameter(names = "--cluster", absentValue = "") String cluster,
            @Descriptor("only experts of this kind: prompt, dataset, multitask or composite (a packaged merge)") @Parameter(names = "--kind", absentValue = "") String kind,
            @Descriptor("only bundles in this state: installed or refused") @Parameter(names = "--state", absentValue = "") String state,
            @Descriptor("wait up to this many seconds until the registry has taken up every expert jar of the deploy folder "
                    + "(default 0: list what is there now)") @Parameter(names = "--wait", absentValue = "0") int wait,
            @Descriptor(JSON_HELP) @Parameter(names = "--json", presentValue = "true", absentValue = "false") boolean json)
            throws InterruptedException {
        if (wait < 0) {
            throw new IllegalArgumentException("--wait " + wait + ": expected a number of seconds, 0 or more");
        }
        if (!state.isEmpty() && !state.equals(ExpertBundle.INSTALLED) && !state.equals(ExpertBundle.REFUSED)) {
            throw new IllegalArgumentException("--state " + state + ": expected installed or refused");
        }
        if (!kind.isEmpty() && !List.of("prompt", "dataset", "multitask", "composite").contains(kind)) {
            throw new IllegalArgumentException("--kind " + kind + ": expected prompt, dataset, multitask or composite");
        }
        long deadline = System.nanoTime() + wait * 1_000_000_000L;
        // A container just started may still be activating its registry: waiting includes waiting for it.
        while (registry == null && System.nanoTime() < deadline) {
            Thread.sleep(100);
        }
        ExpertRegistry r = registry();
        List<String> pending = r.pending();
        while (!pending.isEmpty() && System.nanoTime() < deadline) {
            Thread.sleep(100);
            pending = r.pending();
        }
        List<ExpertBundle> bundles = new ArrayList<>();
        for (ExpertBundle b : r.bundles()) {
            boolean described = b.expert() != null;
            if ((state.isEmpty() || b.state().equals(state)) && (cluster.isEmpty() || b.cluster().equals(cluster))
                    && (task.isEmpty() || described && b.expert().task().equals(task))
                    && (kind.isEmpty() || described && b.expert().kind().id().equals(kind))) {
                bundles.add(b);
            }
        }
        if (json) {
            Map<String, Object> report = new LinkedHashMap<>();
            report.put("experts", bundles);
            report.put("pending", pending);
            return Json.write(report);
        }
        String waiting = pending.isEmpty() ? "" : String.format("%n%d jar(s) of the deploy folder not taken up yet (%s%s); "
                + "elm:list --wait 60 waits for them", pending.size(), String.join(", ", pending.subList(0, Math.min(3,
                        pending.size()))), pending.size() > 3 ? ", …" : "");
        if (bundles.isEmpty()) {
            return "no expert bundles" + ((task + cluster + kind + state).isEmpty() ? " (drop one into the deploy folder; "
                    + "elm:package writes one from a trained expert)" : " match") + waiting;
        }
        StringBuilder out = new StringBuilder();
        for (ExpertBundle b : bundles) {
            String marks = (b.active() ? "*" : " ") + (b.pinned() ? "pin" : "   ");
            out.append(String.format("%-44s %-9s %s %-9s %s%n", b.id(), b.version(), marks, b.state(),
                    b.state().equals(ExpertBundle.REFUSED) ? b.reason() : String.format("%s  %s  %s  %d bytes", b.expert().task(),
                            b.cluster(), b.expert().kind().id(), b.bytes())));
        }
        return out.toString().stripTrailing() + waiting;
    }

    @Descriptor("show one expert bundle: its state (installed, active, pinned; or refused with the reason), what it is, "
            + "its provenance, its library, and the other versions of its id")
    public Object info(
            @Descriptor(JSON_HELP) @Parameter(names = "--json", presentValue = "true", absentValue = "false") boolean json,
            @Descriptor("the expert: id (its active version, or else what was refused), id@version, or a composite's id")
            String name) {
        String[] parts = name.split("@", 2);
        List<ExpertBundle> versions = registry().bundles().stream().filter(b -> b.id().equals(parts[0])).toList();
        Composer c = composer;
        if (versions.isEmpty() && c != null && (c.gone(parts[0]) != null
                || c.composites().stream().anyMatch(k -> k.expert().descriptor().id().equals(parts[0])))) {
            return CompositionCommands.info(c.composite(parts[0]), json); // a composite gone: composite() says why
        }
        ExpertBundle chosen = versions.stream().filter(b -> parts.length == 2 ? b.version().equals(parts[1]) : b.active()).findFirst()
                .or(() -> parts.length == 2 ? Optional.empty() : versions.stream().findFirst())
                .orElseThrow(() -> new IllegalArgumentException("no expert bundle " + name + (versions.isEmpty()
                        ? "; see elm:list for those there are" : "; versions of " + parts[0] + ": "
                        + String.join(", ", versions.stream().map(ExpertBundle::version).toList()))));
        Map<String, Object> report = new LinkedHashMap<>();
        report.put("bundle", chosen);
        report.put("versions", versions.stream().map(b -> b.version() + " " + b.state() + (b.active() ? " active" : "")
                + (b.pinned() ? " pinned" : "")).toList());
        if (json) {
            return Json.write(report);
        }
        StringBuilder out = new StringBuilder();
        out.append(String.format("%-11s %s%n", "expert", chosen.name()));
        out.append(String.format("%-11s %s%s%s%n", "state", chosen.state(), chosen.active() ? ", active" : "",
                chosen.pinned() ? ", pinned" : ""));
        if (!chosen.reason().isEmpty()) {
            out.append(String.format("%-11s %s%n", "reason", chosen.reason()));
        }
        out.append(String.format("%-11s %s%n", "location", chosen.location()));
        if (chosen.expert() != null) {
            out.append(String.format("%-11s %s%n", "task", chosen.expert().task()));
            out.append(String.format("%-11s %s%n", "kind", chosen.expert().kind().id()));
            out.append(String.format("%-11s %s%n", "cluster", chosen.cluster()));
            out.append(String.format("%-11s %s (sha256 %s)%n", "base", chosen.expert().base().id(), chosen.expert().base().sha256()));
            out.append(String.format("%-11s %s%n", "adapter", chosen.expert().isFullDecoder() ? "full decoder" : chosen.expert().adapter()));
            out.append(String.format("%-11s %d bytes, sha256 %s%n", "tensors", chosen.bytes(), chosen.expert().tensorsSha256()));
            out.append(String.format("%-11s %s%n", "library", chosen.library()));
            out.append(String.format("%-11s %s%n", "provenance", chosen.expert().provenance()));
        }
        out.append(String.format("%-11s %s", "versions", String.join("; ", versions.stream().map(b -> b.version() + " "
                + b.state() + (b.active() ? " active" : "") + (b.pinned() ? " pinned" : "")).toList())));
        return out.toString();
    }

    @Descriptor("ask an installed expert or a composite (elm:merge): with two or more choices, score each (rank classification) and pick the best; with "
            + "none, generate the answer. The answer names the id@version that produced it")
    public Object ask(
            @Descriptor(JSON_HELP) @Parameter(names = "--json", presentValue = "true", absentValue = "false") boolean json,
            @Descriptor("the expert: id (its active version), id@version, or a composite's id") String name,
            @Descriptor("the input (quote it when it has spaces)") String input,
            @Descriptor("the answer choices; none to generate") String... choices) throws IOException {
        if (choices.length == 1) {
            throw new IllegalArgumentException("elm:ask needs two or more choices to score, or none to generate; got one ("
                    + choices[0] + ")");
        }
        ExpertRegistry r = registry();
        Expert expert = Composer.find(r, composer, name);
        AdapterTensors tensors;
        try {
            tensors = expert.tensors();
        } catch (IllegalStateException uninstalled) {
            if (name.contains("@")) {
                throw uninstalled;
            }
            expert = Composer.find(r, composer, name); // rolled back between the two calls: the version now active answers
            tensors = expert.tensors();
        }
        try (ModelHandle handle = required(engine, "neural engine", "engine").open(expert.descriptor(), tensors)) {
            Object report = choices.length == 0
                    ? new GenerationReport(handle.modelName(), input, 1, handle.generate(input, 1, GENERATED_TOKENS))
                    : ScoreReport.of(handle.modelName(), input, List.of(choices),
                            handle.score(List.of(new ScoringInput(input, List.of(choices))), false).get(0));
            if (json) {
                return Json.write(report);
            }
            return report instanceof ScoreReport s ? TextFormats.scores(s) + "\n" + s.best() + "  (" + s.model() + ")"
                    : ((GenerationReport) report).output() + "  (" + handle.modelName() + ")";
        }
    }

    @Descriptor("upgrade an expert live: put a jar of a higher version into the deploy folder (atomically) and return once it "
            + "answers; the version before stays installed for elm:rollback")
    public Object upgrade(
            @Descriptor(JSON_HELP) @Parameter(names = "--json", presentValue = "true", absentValue = "false") boolean json,
            @Descriptor("the expert's id") String id,
            @Descriptor("the expert bundle jar (elm:package writes one)") String jar) throws IOException, InterruptedException {
        Path file = Path.of(jar).toAbsolutePath();
        if (!Files.isRegularFile(file)) {
            throw new IllegalArgumentException("no file " + file + "; expected an expert bundle jar, e.g. one elm:package wrote");
        }
        return versionChange(json, "upgraded to", registry().upgrade(id, file));
    }

    @Descriptor("roll an expert back live: take its active version out of the deploy folder (kept in the registry's retired "
            + "folder) and return once the previous version answers")
    public Object rollback(
            @Descriptor(JSON_HELP) @Parameter(names = "--json", presentValue = "true", absentValue = "false") boolean json,
            @Descriptor("the expert's id") String id) throws IOException, InterruptedException {
        return versionChange(json, "rolled back to", registry().rollback(id));
    }

    @Descriptor("pin an expert at an installed version: it answers whatever else is installed, until elm:unpin; kept across restarts")
    public Object pin(
            @Descriptor(JSON_HELP) @Parameter(names = "--json", presentValue = "true", absentValue = "false") boolean json,
            @Descriptor("the expert's id") String id,
            @Descriptor("the installed version to pin") String version) throws IOException {
        return versionChange(json, "pinned at", registry().pin(id, version));
    }

    @Descriptor("unpin an expert: its highest installed version answers again")
    public Object unpin(
            @Descriptor(JSON_HELP) @Parameter(names = "--json", presentValue = "true", absentValue = "false") boolean json,
            @Descriptor("the expert's id") String id) throws IOException {
        return versionChange(json, "unpinned; answering now:", registry().unpin(id));
    }

    private static Object versionChange(boolean json, String what, ExpertBundle now) {
        return json ? Json.write(Map.of("expert", now)) : now.id() + " " + what + " " + now.name();
    }

    private ExpertRegistry registry() {
        return required(registry, "expert registry", "registry");
    }

    private static <T> T required(T service, String what, String bundle) {
        if (service == null) {
            throw new IllegalStateException("the " + what + " is not running; the bundle org.expertlm." + bundle + " must be active"
                    + " (see elm:status)");
        }
        return service;
    }
}

package org.expertlm.console.internal;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import org.apache.felix.service.command.Descriptor;
import org.apache.felix.service.command.Parameter;

import org.expertlm.api.Composer;
import org.expertlm.api.Composer.Composite;
import org.expertlm.api.Composer.Recipe;
import org.expertlm.api.ContainerProperties;
import org.expertlm.api.ExpertDescriptor;
import org.expertlm.api.ExpertPackager;
import org.expertlm.api.PackagedExpert;
import org.osgi.framework.BundleContext;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Reference;
import org.osgi.service.component.annotations.ReferenceCardinality;
import org.osgi.service.component.annotations.ReferencePolicy;
import org.osgi.service.component.annotations.ReferencePolicyOption;

/**
 * {@code elm:merge}: installed experts merged at runtime into a composite expert, which {@code elm:ask},
 * {@code elm:info} and {@code elm:solve --expert} then take by its id; {@code elm:composites}: those there are, and the
 * merge methods.
 */
@Component(service = CompositionCommands.class, property = {"osgi.command.scope=elm", "osgi.command.function=merge",
        "osgi.command.function=composites"})
public final class CompositionCommands {

    private static final String JSON_HELP = "print exactly one JSON document instead of text";

    @Reference(cardinality = ReferenceCardinality.OPTIONAL, policy = ReferencePolicy.DYNAMIC,
            policyOption = ReferencePolicyOption.GREEDY)
    private volatile Composer composer;

    @Reference(cardinality = ReferenceCardinality.OPTIONAL, policy = ReferencePolicy.DYNAMIC,
            policyOption = ReferencePolicyOption.GREEDY)
    private volatile ExpertPackager packager;

    private final BundleContext context;

    @Activate
    public CompositionCommands(BundleContext context) {
        this.context = context;
    }

    @Descriptor("merge installed experts' weights into a composite expert, registered live (LoRA merged as its updates "
            + "ΔW = scale·A·B, bottleneck adapters tensor by tensor); the same recipe gives the same composite, kept until a "
            + "member is upgraded, rolled back or removed")
    public Object merge(
            @Descriptor("average (the paper's), weighted, task-arithmetic, ties, dare or dare-ties (see elm:composites)")
            @Parameter(names = "--method", absentValue = "average") String method,
            @Descriptor("one weight per expert, comma-separated, e.g. 0.7,0.3 (default: 1 each)")
            @Parameter(names = "--weights", absentValue = "") String weights,
            @Descriptor("the share of entries ties and dare keep, 0 to 1 (default 0.5)") @Parameter(names = "--density", absentValue = "")
            String density,
            @Descriptor("the factor the merged update is scaled by (default 1)") @Parameter(names = "--lambda", absentValue = "")
            String lambda,
            @Descriptor("seed of dare's drops (default 0)") @Parameter(names = "--seed", absentValue = "") String seed,
            @Descriptor("the composite's id (default: merge- and 12 hex digits of its recipe)") @Parameter(names = "--as", absentValue = "")
            String as,
            @Descriptor("also write the composite as an expert bundle jar into this folder (relative to the ELM home), its recipe "
                    + "as provenance; dropped into a deploy folder it installs like any expert")
            @Parameter(names = "--package", absentValue = "") String pack,
            @Descriptor(JSON_HELP) @Parameter(names = "--json", presentValue = "true", absentValue = "false") boolean json,
            @Descriptor("the experts to merge: id (its active version) or id@version each") String... experts) throws IOException {
        if (experts.length == 0) {
            throw new IllegalArgumentException("elm:merge needs the experts to merge, e.g. elm:merge spam.spam-yes-no spam.lettered "
                    + "(see elm:list)");
        }
        ExpertPackager p = pack.isEmpty() ? null : packager();
        Composite c = composer().compose(recipe(List.of(experts), method, weights, density, lambda, seed), as.isEmpty() ? null : as);
        PackagedExpert packed = null;
        if (p != null) {
            String home = context.getProperty(ContainerProperties.HOME);
            packed = p.pack(c.expert(), Path.of(home == null ? "." : home).resolve(pack));
        }
        if (json) {
            Map<String, Object> report = report(c);
            report.put("bundle", packed);
            return Json.write(report);
        }
        return String.format("composite %s %s: %s%n%d tensor bytes; ask it with elm:ask %s <input> [choice…]%s", c.name(),
                c.cached() ? "(made before, still valid)" : String.format("made in %.1f ms", c.mergeMillis()), c.recipe().text(),
                bytes(c), c.expert().descriptor().id(), packed == null ? "" : "\nbundle written: " + packed.jar() + " (" + packed.bytes()
                        + " bytes, sha256 " + packed.sha256() + ")");
    }

    @Descriptor("the composites registered now (the least recently used first) and the merge methods there are")
    public Object composites(
            @Descriptor(JSON_HELP) @Parameter(names = "--json", presentValue = "true", absentValue = "false") boolean json) {
        Composer c = composer();
        List<Map<String, Object>> all = c.composites().stream().map(CompositionCommands::report).toList();
        if (json) {
            Map<String, Object> report = new LinkedHashMap<>();
            report.put("methods", c.methods());
            report.put("composites", all);
            return Json.write(report);
        }
        StringBuilder out = new StringBuilder("merge methods: " + String.join(", ", c.methods()) + "\n");
        if (all.isEmpty()) {
            out.append("no composites (make one with elm:merge)");
        }
        for (Composite k : c.composites()) {
            out.append(String.format("%-24s %s  %d bytes%n", k.name(), k.recipe().text(), bytes(k)));
        }
        return out.toString().stripTrailing();
    }

    /** What {@code elm:info} shows of a composite: its description and its recipe. */
    static Object info(Composite c, boolean json) {
        if (json) {
            return Json.write(report(c));
        }
        ExpertDescriptor d = c.expert().descriptor();
        StringBuilder out = new StringBuilder();
        out.append(String.format("%-11s %s%n", "composite", c.name()));
        out.append(String.format("%-11s %s%n", "recipe", c.recipe().text()));
        out.append(String.format("%-11s %s%n", "members", String.join(", ", c.recipe().members())));
        out.append(String.format("%-11s %s (sha256 %s)%n", "base", d.base().id(), d.base().sha256()));
        out.append(String.format("%-11s %s%n", "adapter", d.adapter()));
        out.append(String.format("%-11s %d bytes, sha256 %s%n", "tensors", bytes(c), d.tensorsSha256()));
        out.append(String.format("%-11s %s", "provenance", d.provenance()));
        return out.toString();
    }

    static Recipe recipe(List<String> experts, String method, String weights, String density, String lambda, String seed) {
        Recipe r = Recipe.of(experts, method);
        if (!weights.isEmpty()) {
            List<Double> w = new ArrayList<>();
            for (String part : weights.split(",")) {
                try {
                    w.add(number("--weights", part));
                } catch (IllegalArgumentException e) {
                    throw new IllegalArgumentException("--weights " + weights + ": expected a number per expert, comma-separated, "
                            + "e.g. 0.7,0.3; '" + part + "' is not one");
                }
            }
            r = r.withWeights(w);
        }
        if (!density.isEmpty()) {
            r = r.withDensity(number("--density", density));
        }
        if (!lambda.isEmpty()) {
            r = r.withLambda(number("--lambda", lambda));
        }
        if (!seed.isEmpty()) {
            try {
                r = r.withSeed(Long.parseLong(seed.strip()));
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException("--seed " + seed + ": expected a whole number");
            }
        }
        return r;
    }

    static Map<String, Object> report(Composite c) {
        Map<String, Object> r = new LinkedHashMap<>();
        r.put("composite", c.name());
        r.put("id", c.expert().descriptor().id());
        r.put("recipe", c.recipe());
        r.put("recipeText", c.recipe().text());
        r.put("recipeId", c.recipe().id());
        r.put("mergeMillis", c.mergeMillis());
        r.put("cached", c.cached());
        r.put("bytes", bytes(c));
        r.put("expert", c.expert().descriptor());
        return r;
    }

    private static long bytes(Composite c) {
        try {
            return c.expert().tensors().bytes();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static double number(String option, String value) {
        try {
            double d = Double.parseDouble(value.strip());
            if (Double.isFinite(d)) {
                return d;
            }
        } catch (NumberFormatException e) {
            // said below
        }
        throw new IllegalArgumentException(option + " " + value + ": expected a number");
    }

    private ExpertPackager packager() {
        ExpertPackager p = packager;
        if (p == null) {
            throw new IllegalStateException("the packager is not running; the bundle org.expertlm.registry must be active (see elm:status)");
        }
        return p;
    }

    private Composer composer() {
        Composer c = composer;
        if (c == null) {
            throw new IllegalStateException("the composer is not running; the bundle org.expertlm.composition must be active "
                    + "(see elm:status)");
        }
        return c;
    }
}

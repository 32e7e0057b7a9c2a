package org.expertlm.console.internal;

import java.io.BufferedReader;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Formatter;
import java.util.List;
import java.util.Locale;

import org.apache.felix.service.command.Descriptor;
import org.apache.felix.service.command.Parameter;

import org.expertlm.api.ContainerProperties;
import org.expertlm.api.Retriever;
import org.osgi.framework.BundleContext;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Reference;
import org.osgi.service.component.annotations.ReferenceCardinality;
import org.osgi.service.component.annotations.ReferencePolicy;
import org.osgi.service.component.annotations.ReferencePolicyOption;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

/**
 * {@code elm:retrieve}: the experts a task's unlabeled instances (a JSON Lines file) vote for, with the library
 * instances that chose each one.
 */
@Component(service = RetrievalCommands.class, property = {"osgi.command.scope=elm", "osgi.command.function=retrieve"})
public final class RetrievalCommands {

    private static final ObjectMapper JSON = new ObjectMapper();

    @Reference(cardinality = ReferenceCardinality.OPTIONAL, policy = ReferencePolicy.DYNAMIC,
            policyOption = ReferencePolicyOption.GREEDY)
    private volatile Retriever retriever;

    private final BundleContext context;

    @Activate
    public RetrievalCommands(BundleContext context) {
        this.context = context;
    }

    @Descriptor("the experts a task's unlabeled instances vote for (Retrieval of Experts): each of the file's first q "
            + "instances retrieves its k nearest library instances, one vote each; most votes first, a tie to the expert met first")
    public Object retrieve(
            @Descriptor("instances that vote (default 32, the paper's Q)") @Parameter(names = "-q", absentValue = "32") int q,
            @Descriptor("library instances each one retrieves (default 1, the paper's)") @Parameter(names = "-k", absentValue = "1") int k,
            @Descriptor("dense (sentence vectors, the paper's), bm25, or hybrid (the two fused by reciprocal rank)")
            @Parameter(names = "--mode", absentValue = "dense") String mode,
            @Descriptor("print exactly one JSON document instead of text")
            @Parameter(names = "--json", presentValue = "true", absentValue = "false") boolean json,
            @Descriptor("a JSON Lines file, one instance a line: input (the prompted text) and, for classification, choices "
                    + "(relative to the ELM home)") String file) throws IOException {
        Retriever r = retriever;
        if (r == null) {
            throw new IllegalStateException("the retriever is not running; the bundle org.expertlm.retrieval must be active (see elm:status)");
        }
        if (q < 1) {
            throw new IllegalArgumentException("-q " + q + ": at least one instance must vote");
        }
        Retriever.Mode m = switch (mode.toLowerCase(Locale.ROOT)) {
            case "dense" -> Retriever.Mode.DENSE;
            case "bm25" -> Retriever.Mode.BM25;
            case "hybrid" -> Retriever.Mode.HYBRID;
            default -> throw new IllegalArgumentException("--mode " + mode + ": expected dense, bm25 or hybrid");
        };
        String home = context.getProperty(ContainerProperties.HOME);
        List<Retriever.Instance> instances = instances(Path.of(home == null ? "." : home).resolve(file), q);
        Retriever.Retrieval found = r.retrieve(instances, k, m);
        return json ? Json.write(found) : text(found);
    }

    /**
     * The file's first {@code q} instances. A line that is not a JSON object, lacks {@code input} or has fewer
     * than two choices is refused with its number; blank lines are skipped; other fields are ignored.
     */
    static List<Retriever.Instance> instances(Path file, int q) throws IOException {
        if (!Files.isRegularFile(file)) {
            throw new IllegalArgumentException("no instance file at " + file + "; expected JSON Lines, one {\"input\": …, "
                    + "\"choices\": […]} a line");
        }
        List<Retriever.Instance> instances = new ArrayList<>();
        try (BufferedReader in = Files.newBufferedReader(file, StandardCharsets.UTF_8)) {
            int number = 0;
            for (String line; instances.size() < q && (line = in.readLine()) != null;) {
                number++;
                if (line.isBlank()) {
                    continue;
                }
                JsonNode node;
                try {
                    node = JSON.readTree(line);
                } catch (IOException e) {
                    throw new IllegalArgumentException(file + ", line " + number + ": not JSON (" + e.getMessage().lines()
                            .findFirst().orElse("") + "); expected one object a line");
                }
                if (node == null || !node.isObject()) {
                    throw new IllegalArgumentException(file + ", line " + number + ": expected a JSON object, found " + line.strip());
                }
                if (!node.path("input").isTextual()) {
                    throw new IllegalArgumentException(file + ", line " + number + ": no \"input\" text; expected the prompted input");
                }
                List<String> choices = new ArrayList<>();
                if (node.has("choices")) {
                    node.path("choices").forEach(c -> choices.add(c.asText()));
                    if (!node.path("choices").isArray() || choices.size() < 2) {
                        throw new IllegalArgumentException(file + ", line " + number + ": \"choices\" must list two or more "
                                + "answers (leave it out for generation)");
                    }
                }
                instances.add(new Retriever.Instance(node.path("input").asText(), choices));
            }
        }
        if (instances.isEmpty()) {
            throw new IllegalArgumentException(file + " holds no instance; expected JSON Lines, one {\"input\": …} a line");
        }
        return instances;
    }

    private static String text(Retriever.Retrieval r) {
        StringBuilder text = new StringBuilder();
        Formatter f = new Formatter(text);
        f.format("%d instances, %s, %d library instance(s) each, over %d library instances%n", r.queries(),
                r.mode().name().toLowerCase(Locale.ROOT), r.k(), r.libraryInstances());
        for (Retriever.Choice c : r.experts()) {
            f.format("%-48s %3d votes  mean score %.3f%n", c.name(), c.votes(), c.meanScore());
            for (Retriever.Neighbour n : c.nearest()) {
                String shown = n.text().length() > 100 ? n.text().substring(0, 100) + "…" : n.text();
                f.format("    %.3f  %s  %s%n", n.score(), n.template(), shown.replace('\n', ' '));
            }
        }
        return text.toString().stripTrailing();
    }
}

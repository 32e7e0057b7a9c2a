package org.expertlm.tasks.catalog;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import org.expertlm.api.Split;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

/**
 * One dataset of the catalog, read from its JSON file: where its records come from (sources and a
 * builder with options), how they split, and its templates. The builder's part of the file is
 * hashed, so that records built under an older definition are rebuilt instead of being mixed in.
 *
 * @param dataset the id
 * @param cluster the task cluster
 * @param heldOut true for clusters no expert trains on
 * @param description one sentence
 * @param sources the ids of the sources in {@code sources.json} it needs
 * @param builder the name of the builder that makes its records
 * @param options the builder's options
 * @param percent the share of records per split, in percent (summing to 100)
 * @param cap the most records kept per split
 * @param seed mixed into the split hash
 * @param splitsOf the dataset whose splits its records take (its own id, unless it asks another dataset's records
 *     anew: a composed task keeps the test records of the dataset it composes, never one an expert trained on)
 * @param labelField the field holding the class label, for label balance in the data card (may be null)
 * @param templates the prompt templates
 * @param buildHash a digest of everything above that shapes the records
 */
public record DatasetDefinition(String dataset, String cluster, boolean heldOut, String description, List<String> sources,
        String builder, JsonNode options, Map<Split, Integer> percent, Map<Split, Integer> cap, long seed,
        String splitsOf, String labelField, List<TemplateDefinition> templates, String buildHash) {

    /** Raise this when a builder's output changes, so that every record file is rebuilt at the next fetch. */
    static final int BUILDERS_REVISION = 3;
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String INDEX = "/org/expertlm/tasks/catalog/index.json";

    /** Every dataset listed in the catalog index, in its order. */
    public static List<DatasetDefinition> all() {
        JsonNode index = read(INDEX);
        List<DatasetDefinition> all = new ArrayList<>();
        for (JsonNode file : index.path("datasets")) {
            all.add(parse(read("/org/expertlm/tasks/catalog/" + file.asText())));
        }
        return List.copyOf(all);
    }

    /** The template named {@code name}, or null. */
    public TemplateDefinition template(String name) {
        return templates.stream().filter(t -> t.name().equals(name)).findFirst().orElse(null);
    }

    static DatasetDefinition parse(JsonNode d) {
        String id = require(d, "dataset", null);
        List<String> sources = new ArrayList<>();
        d.path("sources").forEach(s -> sources.add(s.asText()));
        Map<Split, Integer> percent = new LinkedHashMap<>();
        Map<Split, Integer> cap = new LinkedHashMap<>();
        for (Split split : Split.values()) {
            percent.put(split, d.path("splits").path(split.id()).asInt(split == Split.TRAIN ? 80 : 10));
            cap.put(split, d.path("cap").path(split.id()).asInt(split == Split.TRAIN ? 3000 : 500));
        }
        if (percent.values().stream().mapToInt(Integer::intValue).sum() != 100) {
            throw new IllegalArgumentException("dataset " + id + ": split percentages " + percent + " do not sum to 100");
        }
        List<TemplateDefinition> templates = new ArrayList<>();
        for (JsonNode t : d.path("templates")) {
            List<String> choices = new ArrayList<>();
            t.path("choices").forEach(c -> choices.add(c.asText()));
            String choicesFrom = t.hasNonNull("choicesFrom") ? t.get("choicesFrom").asText() : null;
            templates.add(new TemplateDefinition(require(t, "name", id), require(t, "input", id), require(t, "target", id),
                    List.copyOf(choices), choicesFrom));
        }
        if (templates.size() < 2) {
            throw new IllegalArgumentException("dataset " + id + " has " + templates.size() + " templates; every dataset needs at least 2");
        }
        String splitsOf = d.hasNonNull("splitsOf") ? d.get("splitsOf").asText() : id;
        String builderPart = BUILDERS_REVISION + d.path("builder").asText() + d.path("options") + d.path("splits") + d.path("cap")
                + d.path("seed") + sources + (splitsOf.equals(id) ? "" : splitsOf);
        return new DatasetDefinition(id, require(d, "cluster", id), d.path("heldOut").asBoolean(false),
                d.path("description").asText(""), List.copyOf(sources), require(d, "builder", id), d.path("options"),
                percent, cap, d.path("seed").asLong(1), splitsOf, d.hasNonNull("label") ? d.get("label").asText() : null,
                List.copyOf(templates), sha256(builderPart).substring(0, 16));
    }

    private static String require(JsonNode node, String field, String dataset) {
        if (!node.hasNonNull(field) || node.get(field).asText().isBlank()) {
            throw new IllegalArgumentException((dataset == null ? "a dataset" : "dataset " + dataset)
                    + " lacks '" + field + "' in its catalog file");
        }
        return node.get(field).asText();
    }

    private static JsonNode read(String resource) {
        try (InputStream in = DatasetDefinition.class.getResourceAsStream(resource)) {
            if (in == null) {
                throw new IllegalStateException(resource + " is missing from the tasks jar; it is listed in the catalog index");
            }
            return JSON.readTree(in);
        } catch (IOException e) {
            throw new UncheckedIOException(resource + " is not valid JSON: " + e.getMessage(), e);
        }
    }

    static String sha256(String text) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(text.getBytes(StandardCharsets.UTF_8)));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("this JVM has no SHA-256", e);
        }
    }
}

package org.expertlm.tasks.catalog;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;

import org.expertlm.tasks.data.DataFetcher;
import org.expertlm.tasks.parse.Skips;

import com.fasterxml.jackson.databind.JsonNode;

/** What a builder gets: the data cache, its dataset's definition and options, and the skip counter. */
public record BuildContext(Path cache, DatasetDefinition definition, Skips skips) {

    /** A path inside a fetched source. */
    public Path source(String id, String path) {
        return DataFetcher.sourceFolder(cache, id).resolve(path);
    }

    public String read(Path file) throws IOException {
        return Files.readString(file, StandardCharsets.UTF_8);
    }

    public JsonNode options() {
        return definition.options();
    }

    public String option(String name) {
        JsonNode value = definition.options().get(name);
        if (value == null) {
            throw new IllegalArgumentException("dataset " + definition.dataset() + " needs option '" + name
                    + "' for builder " + definition.builder());
        }
        return value.asText();
    }

    public int option(String name, int fallback) {
        return definition.options().path(name).asInt(fallback);
    }

    /** A map option ({@code {"key": "value", ...}}), in file order. */
    public Map<String, String> mapOption(String name) {
        Map<String, String> map = new LinkedHashMap<>();
        definition.options().path(name).fields().forEachRemaining(e -> map.put(e.getKey(), e.getValue().asText()));
        if (map.isEmpty()) {
            throw new IllegalArgumentException("dataset " + definition.dataset() + " needs a non-empty map option '" + name + "'");
        }
        return map;
    }

    /** A stable id made from content: the first 16 hex digits of its SHA-256. */
    public static String contentId(String text) {
        return DatasetDefinition.sha256(text).substring(0, 16);
    }

    /** Cuts text at a word boundary near {@code max} characters, with an ellipsis when cut. */
    public static String truncate(String text, int max) {
        String t = text.replaceAll("\\s+", " ").strip();
        if (t.length() <= max) {
            return t;
        }
        int cut = t.lastIndexOf(' ', max);
        return t.substring(0, cut > max / 2 ? cut : max) + " …";
    }

}

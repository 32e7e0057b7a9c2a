package org.expertlm.tasks.data;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.List;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

/** The sources of {@code sources.json}, read from this jar. */
public final class Sources {

    private Sources() {
    }

    /** Every source, in the file's order. */
    public static List<Source> all() {
        try (InputStream in = Sources.class.getResourceAsStream("/org/expertlm/tasks/sources.json")) {
            if (in == null) {
                throw new IllegalStateException("sources.json is missing from the tasks jar; rebuild it");
            }
            JsonNode root = new ObjectMapper().readTree(in);
            List<Source> sources = new ArrayList<>();
            for (JsonNode s : root.path("sources")) {
                List<String> keep = new ArrayList<>();
                s.path("keep").forEach(k -> keep.add(k.asText()));
                sources.add(new Source(s.path("id").asText(), s.path("registry").asText(), s.path("package").asText(),
                        s.path("version").asText(), s.path("file").asText(), s.path("size").asLong(),
                        s.path("sha256").asText(), List.copyOf(keep), s.path("licence").asText()));
            }
            return List.copyOf(sources);
        } catch (IOException e) {
            throw new UncheckedIOException("sources.json in the tasks jar cannot be read", e);
        }
    }

    /** The source with this id. */
    public static Source byId(String id) {
        List<String> known = new ArrayList<>();
        for (Source s : all()) {
            if (s.id().equals(id)) {
                return s;
            }
            known.add(s.id());
        }
        throw new IllegalArgumentException("no data source '" + id + "'; known sources: " + String.join(", ", known));
    }
}

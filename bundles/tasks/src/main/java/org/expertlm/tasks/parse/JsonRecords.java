package org.expertlm.tasks.parse;

import java.util.Optional;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

/**
 * The JSON wrappers of the npm datasets: a State of the Union speech ({@code year, name, party, text})
 * and a SpamAssassin mail ({@code id, group, text} with the raw mail as text). A file that is not
 * such an object is skipped and counted.
 */
public final class JsonRecords {

    /** One State of the Union address. */
    public record Speech(int year, String president, String party, String text) {
    }

    /** One SpamAssassin file: its corpus group ({@code easy-ham-1}, {@code spam-2}, …) and raw mail. */
    public record RawMail(String id, String group, String raw) {
    }

    private static final ObjectMapper JSON = new ObjectMapper();

    private JsonRecords() {
    }

    public static Optional<Speech> speech(String json, Skips skips) {
        return read(json, skips).flatMap(n -> n.path("text").isTextual() && n.path("year").canConvertToInt()
                ? Optional.of(new Speech(n.path("year").asInt(), n.path("name").asText(), n.path("party").asText(), n.path("text").asText()))
                : skipped(skips, "speech without year or text"));
    }

    public static Optional<RawMail> mail(String json, Skips skips) {
        return read(json, skips).flatMap(n -> n.path("text").isTextual() && n.path("group").isTextual()
                ? Optional.of(new RawMail(n.path("id").asText(), n.path("group").asText(), n.path("text").asText()))
                : skipped(skips, "mail record without group or text"));
    }

    private static Optional<JsonNode> read(String json, Skips skips) {
        try {
            JsonNode node = JSON.readTree(json);
            return node != null && node.isObject() ? Optional.of(node) : skipped(skips, "not a JSON object");
        } catch (JsonProcessingException e) {
            return skipped(skips, "malformed JSON");
        }
    }

    private static <T> Optional<T> skipped(Skips skips, String reason) {
        skips.skip(reason);
        return Optional.empty();
    }
}

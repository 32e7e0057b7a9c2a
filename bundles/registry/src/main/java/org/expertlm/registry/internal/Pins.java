package org.expertlm.registry.internal;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The pinned version of each expert id, kept in one JSON file ({@code {"format": "elm-pins/1", "pins": {id:
 * version}}}) written whole through a temporary file and a rename, so that a crash leaves the old file or
 * the new one. FileInstall keeps no state of its own that could say which version should answer.
 */
final class Pins {

    private static final Logger LOG = LoggerFactory.getLogger(Pins.class);
    private static final String FORMAT = "elm-pins/1";
    private static final ObjectMapper JSON = new ObjectMapper();

    private final Path file;
    private final Map<String, String> pins = new TreeMap<>();

    /** The pins of {@code file}; an unreadable file is set aside (never trusted) and the registry starts with none. */
    Pins(Path file) {
        this.file = file;
        if (!Files.exists(file)) {
            return;
        }
        try {
            JsonNode json = JSON.readTree(file.toFile());
            if (json == null || !FORMAT.equals(json.path("format").asText()) || !json.path("pins").isObject()) {
                throw new IOException("expected {\"format\": \"" + FORMAT + "\", \"pins\": {id: version}}");
            }
            json.get("pins").fields().forEachRemaining(e -> pins.put(e.getKey(), e.getValue().asText()));
        } catch (IOException e) {
            Path aside = file.resolveSibling(file.getFileName() + ".unreadable");
            LOG.error("The expert pins in {} cannot be read ({}); moved it to {} and starting with no pins: pin again with "
                    + "elm:pin", file, e.getMessage(), aside);
            try {
                Files.move(file, aside, StandardCopyOption.REPLACE_EXISTING);
            } catch (IOException notMoved) {
                LOG.error("Could not move {} aside: {}", file, notMoved.getMessage());
            }
        }
    }

    synchronized Optional<String> get(String id) {
        return Optional.ofNullable(pins.get(id));
    }

    synchronized void put(String id, String version) throws IOException {
        String before = pins.put(id, version);
        try {
            save();
        } catch (IOException e) {
            if (before == null) {
                pins.remove(id);
            } else {
                pins.put(id, before);
            }
            throw e;
        }
    }

    synchronized void remove(String id) throws IOException {
        String before = pins.remove(id);
        try {
            save();
        } catch (IOException e) {
            pins.put(id, before);
            throw e;
        }
    }

    private void save() throws IOException {
        ObjectNode json = JSON.createObjectNode().put("format", FORMAT);
        ObjectNode all = json.putObject("pins");
        pins.forEach(all::put);
        Files.createDirectories(file.getParent());
        Path partial = file.resolveSibling("." + file.getFileName() + ".partial");
        Files.write(partial, JSON.writerWithDefaultPrettyPrinter().writeValueAsBytes(json));
        Files.move(partial, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
    }
}

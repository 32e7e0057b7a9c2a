package org.expertlm.registry.internal;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;

import org.junit.Rule;
import org.junit.Test;
import org.junit.rules.TemporaryFolder;

public class PinsTest {

    @Rule
    public TemporaryFolder folder = new TemporaryFolder();

    @Test
    public void pinsAreKeptInTheFileAndReadBack() throws Exception {
        Path file = folder.getRoot().toPath().resolve("registry").resolve("pins.json");
        Pins pins = new Pins(file);
        pins.put("a.yes-no", "1.0.0");
        pins.put("b.topic", "2.1.0");
        pins.remove("b.topic");
        Pins again = new Pins(file);
        assertEquals(Optional.of("1.0.0"), again.get("a.yes-no"));
        assertEquals(Optional.empty(), again.get("b.topic"));
        try (var files = Files.list(file.getParent())) {
            assertEquals("no partial file left behind", 1, files.count());
        }
    }

    @Test
    public void anUnreadableFileIsSetAsideNotTrusted() throws Exception {
        Path file = folder.getRoot().toPath().resolve("pins.json");
        Files.writeString(file, "{\"format\": \"elm-pins/1\", \"pins\": ");
        Pins pins = new Pins(file);
        assertEquals(Optional.empty(), pins.get("a.yes-no"));
        assertTrue(Files.isRegularFile(file.resolveSibling("pins.json.unreadable")));
        pins.put("a.yes-no", "1.0.0");
        assertEquals(Optional.of("1.0.0"), new Pins(file).get("a.yes-no"));
    }

    @Test
    public void aFileOfAnotherFormatIsSetAside() throws Exception {
        Path file = folder.getRoot().toPath().resolve("pins.json");
        Files.writeString(file, "{\"format\": \"elm-pins/9\", \"pins\": {\"a.yes-no\": \"1.0.0\"}}");
        assertEquals(Optional.empty(), new Pins(file).get("a.yes-no"));
        assertTrue(Files.isRegularFile(file.resolveSibling("pins.json.unreadable")));
    }
}

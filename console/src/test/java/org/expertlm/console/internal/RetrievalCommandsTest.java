package org.expertlm.console.internal;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertThrows;
import static org.junit.Assert.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import org.expertlm.api.Retriever;
import org.junit.Rule;
import org.junit.Test;
import org.junit.rules.TemporaryFolder;

/** The instance file of elm:retrieve: JSON Lines, the first q instances, every bad line named by its number. */
public class RetrievalCommandsTest {

    @Rule
    public TemporaryFolder temp = new TemporaryFolder();

    @Test
    public void theFirstQInstancesAreReadOtherFieldsAndBlankLinesIgnored() throws IOException {
        Path file = file("{\"input\": \"a\", \"choices\": [\"yes\", \"no\"], \"label\": \"yes\"}",
                "",
                "{\"input\": \"b\"}",
                "{\"input\": \"c\", \"choices\": [\"x\", \"y\"]}");
        assertEquals(List.of(new Retriever.Instance("a", List.of("yes", "no")), new Retriever.Instance("b", List.of())),
                RetrievalCommands.instances(file, 2));
        assertEquals(3, RetrievalCommands.instances(file, 32).size());
    }

    @Test
    public void aBadLineIsRefusedWithItsNumber() throws IOException {
        refused(file("{\"input\": \"a\"}", "not json"), "line 2: not JSON");
        refused(file("[\"input\"]"), "line 1: expected a JSON object");
        refused(file("{\"text\": \"a\"}"), "line 1: no \"input\" text");
        refused(file("{\"input\": \"a\", \"choices\": [\"only\"]}"), "line 1: \"choices\" must list two or more");
        refused(file("{\"input\": \"a\", \"choices\": \"yes\"}"), "line 1: \"choices\" must list two or more");
        refused(file("", "  "), "holds no instance");
        refused(temp.getRoot().toPath().resolve("missing.jsonl"), "no instance file at");
    }

    private void refused(Path file, String message) {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> RetrievalCommands.instances(file, 32));
        assertTrue(e.getMessage(), e.getMessage().contains(message));
    }

    private Path file(String... lines) throws IOException {
        Path file = temp.newFile().toPath();
        Files.write(file, List.of(lines));
        return file;
    }
}

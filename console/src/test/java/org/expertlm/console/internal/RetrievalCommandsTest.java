package org.expertlm.console.internal;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertThrows;
import static org.junit.Assert.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;

import org.expertlm.api.Retriever;
import org.junit.Rule;
import org.junit.Test;
import org.junit.rules.TemporaryFolder;

/** The task file of elm:retrieve and elm:solve (JSON Lines, every bad line named by its number) and their options. */
public class RetrievalCommandsTest {

    @Rule
    public TemporaryFolder temp = new TemporaryFolder();

    @Test
    public void instancesAndTheirGoldAnswersAreReadOtherFieldsAndBlankLinesIgnored() throws IOException {
        Path file = file("{\"input\": \"a\", \"choices\": [\"yes\", \"no\"], \"label\": \"no\", \"id\": 7}",
                "",
                "{\"input\": \"b\", \"target\": \"a title\"}",
                "{\"input\": \"c\", \"choices\": [\"x\", \"y\"], \"label\": 0}",
                "{\"input\": \"d\", \"choices\": [\"x\", \"y\"]}");
        RetrievalCommands.TaskFile task = RetrievalCommands.read(file);
        assertEquals(List.of(new Retriever.Instance("a", List.of("yes", "no")), new Retriever.Instance("b", List.of()),
                new Retriever.Instance("c", List.of("x", "y")), new Retriever.Instance("d", List.of("x", "y"))), task.instances());
        assertEquals("a label is a choice's text or its index", Arrays.asList("no", "a title", "x", null), task.gold());
        assertEquals("a number that is a choice's text is that choice", List.of("3"), RetrievalCommands.read(
                file("{\"input\": \"a\", \"choices\": [\"1\", \"2\", \"3\"], \"label\": 3}")).gold());
        assertEquals("without gold answers the list is empty", List.of(),
                RetrievalCommands.read(file("{\"input\": \"a\"}")).gold());
    }

    @Test
    public void aBadLineIsRefusedWithItsNumber() throws IOException {
        refused(file("{\"input\": \"a\"}", "not json"), "line 2: not JSON");
        refused(file("[\"input\"]"), "line 1: expected a JSON object");
        refused(file("{\"text\": \"a\"}"), "line 1: no \"input\" text");
        refused(file("{\"input\": \"a\", \"choices\": [\"only\"]}"), "line 1: \"choices\" must list two or more");
        refused(file("{\"input\": \"a\", \"choices\": \"yes\"}"), "line 1: \"choices\" must list two or more");
        refused(file("{\"input\": \"a\", \"choices\": [\"x\", \"y\"], \"label\": \"z\"}"), "line 1: \"label\" \"z\" is not one of");
        refused(file("{\"input\": \"a\", \"choices\": [\"x\", \"y\"], \"label\": 2}"), "line 1: \"label\" 2 is not the index");
        refused(file("{\"input\": \"a\", \"label\": \"z\"}"), "line 1: a \"label\" without \"choices\"");
        refused(file("{\"input\": \"a\"}", "{\"input\": \"" + "x".repeat(1 << 20) + "\"}"),
                "line 2: 1048589 characters; an instance line holds at most 65536");
        refused(file("", "  "), "holds no instance");
        refused(temp.getRoot().toPath().resolve("missing.jsonl"), "no instance file at");
    }

    @Test
    public void optionsReplaceTheConfiguredSettingsAndBadOnesAreRefused() {
        Retriever.Settings configured = Retriever.Settings.DEFAULT.withQ(8);
        assertEquals(configured, RetrievalCommands.settings(configured, "", "", "", "", "", "", ""));
        assertEquals(new Retriever.Settings(4, 2, Retriever.Mode.HYBRID, Retriever.Format.CHOICE_INSTANCE,
                Retriever.Granularity.INSTANCE, 3, 50), RetrievalCommands.settings(configured, "4", "2", "hybrid", "choice_instance",
                "instance", "3", "50"));
        assertEquals(100, configured.librarySize());
        assertEquals("librarySize = 0: at least one library instance of each expert must be searched",
                assertThrows(IllegalArgumentException.class, () -> RetrievalCommands.settings(configured, "", "", "", "", "", "",
                        "0")).getMessage());
        assertEquals(Retriever.Mode.BM25, RetrievalCommands.settings(configured, "", "", "BM25", "", "", "", "").mode());
        refusedOption("0", "", "", "q = 0: at least one instance must vote");
        refusedOption("many", "", "", "-q many: expected a whole number");
        refusedOption("", "sparse", "", "unknown mode 'sparse'; expected dense, bm25 or hybrid");
        refusedOption("", "", "sentence", "unknown format 'sentence'; expected instance, label_instance or choice_instance");
    }

    private static void refusedOption(String q, String mode, String format, String message) {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> RetrievalCommands.settings(Retriever.Settings.DEFAULT, q, "", mode, format, "", "", ""));
        assertEquals(message, e.getMessage());
    }

    private void refused(Path file, String message) {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> RetrievalCommands.read(file));
        assertTrue(e.getMessage(), e.getMessage().contains(message));
    }

    private Path file(String... lines) throws IOException {
        Path file = temp.newFile().toPath();
        Files.write(file, List.of(lines));
        return file;
    }
}

package org.expertlm.eval.internal;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertThrows;
import static org.junit.Assert.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import org.junit.Rule;
import org.junit.Test;
import org.junit.rules.TemporaryFolder;

/** Evaluation configurations: the shipped ones read, defaults filled, bad ones refused with what to fix. */
public class EvalConfigTest {

    @Rule
    public TemporaryFolder folder = new TemporaryFolder();

    private Path write(String json) throws Exception {
        return Files.writeString(folder.newFile().toPath(), json);
    }

    @Test
    public void theShippedConfigurationsRead() {
        EvalConfig full = EvalConfig.read(Path.of("../../configs/eval/full.json"));
        assertEquals("full", full.name());
        assertEquals(List.of("multitask", "multitask-full"), full.baselines());
        assertEquals(2, full.composed().size());
        assertEquals(List.of(1, 4, 8, 32), full.q());
        assertEquals("configs/library/continual.json", full.continual());
        assertEquals("a quick run keeps experiment 3", full.continual(), full.quick().continual());
        EvalConfig quick = EvalConfig.read(Path.of("../../configs/eval/fixture.json")).quick();
        assertEquals("fixture-quick", quick.name());
        assertEquals(List.of(1, 4, 16), quick.q());
    }

    @Test
    public void defaultsAreThePapersAndTheQuickRunIsSmall() throws Exception {
        EvalConfig c = EvalConfig.read(write("{\"format\": \"elm-eval/1\", \"name\": \"x\", \"baselines\": [\"multitask\"]}"));
        assertEquals(100, c.instances());
        assertEquals(32, c.seenInstances());
        assertEquals("docs/REPORT.md", c.report());
        assertEquals(List.of("average", "ties"), c.methods());
        assertEquals(List.of(10, 50, 100), c.librarySizes());
        EvalConfig q = c.quick();
        assertEquals(16, q.instances());
        assertEquals(8, q.seenInstances());
        assertEquals(List.of(1, 4, 8), q.q());
    }

    @Test
    public void badConfigurationsAreRefusedWithWhatToFix() throws Exception {
        refused("{\"format\": \"elm-eval/2\", \"name\": \"x\", \"baselines\": [\"m\"]}", "expected 'elm-eval/1'");
        refused("{\"format\": \"elm-eval/1\", \"name\": \"x\", \"baselines\": [\"m\"], \"instance\": 3}", "unknown field 'instance'");
        refused("{\"format\": \"elm-eval/1\", \"name\": \"X y\", \"baselines\": [\"m\"]}", "lower-case letters");
        refused("{\"format\": \"elm-eval/1\", \"name\": \"x\"}", "baselines lists no expert");
        refused("{\"format\": \"elm-eval/1\", \"name\": \"x\", \"baselines\": [\"m\"], \"instances\": 0}", "expected a positive integer");
        refused("{\"format\": \"elm-eval/1\", \"name\": \"x\", \"baselines\": [\"m\"], \"q\": [0]}", "expected positive integers");
        refused("{\"format\": \"elm-eval/1\", \"name\": \"x\", \"baselines\": [\"m\"], \"composed\": [{\"template\": \"a/b\", "
                + "\"members\": [\"one\"]}]}", "at least two members");
        refused("{\"format\": \"elm-eval/1\", \"name\": \"x\", \"baselines\": [\"m\"], \"continual\": 3}",
                "expected the path of a library configuration");
        refused("[1, 2]", "expected one JSON object");
        refused("{not json", "is not readable JSON");
    }

    private void refused(String json, String message) throws Exception {
        Path file = write(json);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> EvalConfig.read(file));
        assertTrue(e.getMessage(), e.getMessage().contains(message));
    }
}

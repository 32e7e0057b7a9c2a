package org.expertlm.runtime;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertNotEquals;
import static org.junit.Assert.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

import org.junit.After;
import org.junit.Before;
import org.junit.Test;

import com.fasterxml.jackson.databind.JsonNode;

/**
 * Composition in a running daemon, over small experts trained on fixtures from one seed with Houlsby adapters and LoRA
 * on the encoder's top layer: a merge is registered live and answers through elm:ask, elm:info shows its recipe, the same recipe
 * comes from the cache, experts with adapters elsewhere are refused, elm:solve answers with the merge of the top
 * retrieved experts beside their mixture, and a composite goes when a member is upgraded or removed, saying why.
 */
public class CompositionIT {

    private static final String POS = "brown-pos.word-pos";
    private static final String GENRE = "brown-genre.which-genre";
    private static final String OTHER = "brown-genre.genre-label";
    private static final String INPUT = "What part of speech is 'house' in: the house was quiet .";

    private ElmScript elm;
    private Path scratch;

    @Before
    public void daemon() throws Exception {
        elm = ElmScript.daemonOverBrown("elm-composition-");
        scratch = Files.createDirectories(elm.root.resolve("scratch"));
    }

    @After
    public void stop() throws Exception {
        elm.stopDaemonAndDelete();
    }

    @Test
    public void mergesRunLiveAndGoWhenAMemberChanges() throws Exception {
        String encoder = elm.json("elm:embed --json x").path("model").asText();
        FixtureBaseModel.write(elm.models, "fixture", encoder);
        Path pos = elm.trainFixtureExpert("brown-pos/word-pos", POS, "1.0.0", "[\"cross\"]", 1, 1, 3);
        Path genre = elm.trainFixtureExpert("brown-genre/which-genre", GENRE, "1.0.0", "[\"cross\"]", 1, 1, 3);
        Path other = elm.trainFixtureExpert("brown-genre/genre-label", OTHER, "1.0.0", "[\"ffn\"]", 1, 1, 5);
        Path pos2 = elm.trainFixtureExpert("brown-pos/word-pos", POS, "1.1.0", "[\"cross\"]", 1, 2, 3);
        for (Path jar : List.of(pos, genre, other)) {
            Files.copy(jar, elm.deploy.resolve(jar.getFileName()));
        }
        elm.console("elm:list --json --wait 10");
        List<String> choices = List.of("noun", "verb", "adjective");

        // A merge answers through elm:ask under its own name, and is another model than either member.
        JsonNode merged = elm.console("elm:merge --json --method ties --density 0.4 " + POS + " " + GENRE);
        String id = merged.path("id").asText();
        assertTrue(id, id.startsWith("merge-"));
        assertEquals(List.of(POS + "@1.0.0", GENRE + "@1.0.0"), strings(merged.path("recipe").path("members")));
        assertEquals("a full-rank plan carries the merged LoRA updates whole", 384,
                merged.path("expert").path("adapter").path("loraRank").asInt());
        JsonNode answer = ask(id, choices);
        assertEquals(id + "@1.0.0", answer.path("model").asText());
        assertNotEquals(ask(POS, choices).path("choices"), answer.path("choices"));
        assertNotEquals(ask(GENRE, choices).path("choices"), answer.path("choices"));
        assertTrue(elm.console("elm:info --json " + id).path("recipeText").asText().startsWith("ties(" + POS + "@1.0.0, "));
        assertTrue("the same recipe comes from the cache", elm.console("elm:merge --json --method ties --density 0.4 " + POS + " "
                + GENRE).path("cached").asBoolean());
        JsonNode named = elm.console("elm:merge --json --as pos-and-genre --weights 2,1 --method weighted " + POS + " " + GENRE);
        assertEquals("pos-and-genre@1.0.0", ask("pos-and-genre", choices).path("model").asText());
        assertEquals(List.of(2.0, 1.0), doubles(named.path("recipe").path("weights")));

        // Refused, with the mismatch named; nothing registered.
        elm.consoleFails("elm:merge " + POS + " " + OTHER, "adapters in other places");
        elm.consoleFails("elm:merge --method sum " + POS + " " + GENRE, "no merge method 'sum'; there are average, dare, dare-ties, "
                + "task-arithmetic, ties, weighted");
        elm.consoleFails("elm:merge --weights 1 " + POS + " " + GENRE, "1 weights for 2 experts");
        elm.consoleFails("elm:merge --density 2 --method ties " + POS + " " + GENRE, "density 2.0: expected a share from 0 to 1");
        elm.consoleFails("elm:merge " + POS + " no-such-expert", "no version of expert no-such-expert is installed");
        assertEquals(2, elm.console("elm:composites --json").path("composites").size());

        // Packaged, a composite is an expert bundle like any other: byte-identical when packaged again, and installed
        // from the deploy folder with its recipe as provenance (a TIES merge: its LoRA updates carried whole, which the
        // registry's check of the bundle's tensors accepts under its full-rank plan).
        Path folder = scratch.resolve("packed");
        JsonNode packed = elm.console("elm:merge --json --as packed-merge --method ties --package " + folder + " " + POS
                + " " + GENRE).path("bundle");
        Path jar = Path.of(packed.path("jar").asText());
        assertEquals("packed-merge-1.0.0.jar", jar.getFileName().toString());
        assertEquals("the same composite packaged again", packed.path("sha256").asText(), elm.console("elm:merge --json --as "
                + "packed-merge --method ties --package " + folder + " " + POS + " " + GENRE).path("bundle").path("sha256").asText());
        JsonNode live = ask("packed-merge", choices);
        Files.copy(jar, elm.deploy.resolve(jar.getFileName()));
        JsonNode installed = elm.console("elm:list --json --wait 10 --kind composite").path("experts");
        assertEquals(installed.toString(), "installed", installed.path(0).path("state").asText());
        assertEquals("packed-merge", installed.path(0).path("id").asText());
        assertTrue(installed.path(0).path("expert").path("provenance").asText().contains("\"method\":\"ties\""));
        assertEquals("the bundle answers as the composite it was packaged from", live.path("choices"),
                ask("packed-merge", choices).path("choices"));
        Files.delete(elm.deploy.resolve(jar.getFileName()));

        // elm:solve: the weight merge of the top two retrieved experts beside their output mixture, on the same instances
        // (the expert with adapters elsewhere taken out first: it would be retrieved second, and refused).
        Files.delete(elm.deploy.resolve(other.getFileName()));
        Path task = scratch.resolve("pos.jsonl");
        elm.json("elm:examples --json -n 8 --split validation --jsonl " + task + " brown-pos/word-pos");
        JsonNode solved = elm.console("elm:solve --json -k 200 --mixture 2 --merge-top-k 2 " + task);
        JsonNode merge = solved.path("merge");
        String topMerge = merge.path("composite").asText();
        assertEquals(2, merge.path("recipe").path("members").size());
        assertEquals(8, merge.path("predictions").size());
        for (JsonNode p : merge.path("predictions")) {
            assertEquals(List.of(topMerge), strings(p.path("experts")));
        }
        assertEquals(2, solved.path("predictions").path(0).path("experts").size());
        elm.consoleFails("elm:solve --merge-top-k 2 --expert " + POS + " " + task, "leave one of them out");

        // A member upgraded: the composites of its old version go, and asking for one says why.
        elm.console("elm:upgrade --json " + POS + " " + pos2);
        awaitGone(id, "brown-pos.word-pos@1.0.0 no longer answers for brown-pos.word-pos (upgraded");
        awaitGone("pos-and-genre", "is gone: brown-pos.word-pos@1.0.0 no longer answers");
        JsonNode again = elm.console("elm:merge --json " + POS + " " + GENRE);
        assertEquals(List.of(POS + "@1.1.0", GENRE + "@1.0.0"), strings(again.path("recipe").path("members")));

        // A member removed: its composites go too.
        Files.delete(elm.deploy.resolve(genre.getFileName()));
        awaitGone(again.path("id").asText(), GENRE + "@1.0.0 no longer answers for " + GENRE);
        assertEquals(0, elm.console("elm:composites --json").path("composites").size());
    }

    private JsonNode ask(String expert, List<String> choices) throws Exception {
        return elm.console("elm:ask --json " + expert + " \"" + INPUT + "\" " + String.join(" ", choices));
    }

    /** Waits for the composite's invalidation (an event of the registry's), then checks the reason asking gives. */
    private void awaitGone(String id, String reason) throws Exception {
        long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
        while (elm.console("elm:composites --json").path("composites").findValuesAsText("id").contains(id)) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("composite " + id + " is still registered 10 s after its member changed");
            }
            Thread.sleep(50);
        }
        elm.consoleFails("elm:ask " + id + " x a b", reason);
    }

    private static List<String> strings(JsonNode array) {
        List<String> out = new ArrayList<>();
        array.forEach(n -> out.add(n.asText()));
        return out;
    }

    private static List<Double> doubles(JsonNode array) {
        List<Double> out = new ArrayList<>();
        array.forEach(n -> out.add(n.asDouble()));
        return out;
    }
}

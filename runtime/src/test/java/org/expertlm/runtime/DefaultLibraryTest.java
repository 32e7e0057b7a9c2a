package org.expertlm.runtime;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;

import org.junit.Rule;
import org.junit.Test;
import org.junit.rules.TemporaryFolder;

/** The distribution's default library reaches the home's deploy folder once per jar, and only that folder. */
public class DefaultLibraryTest {

    @Rule
    public TemporaryFolder temp = new TemporaryFolder();

    @Test
    public void eachShippedJarIsCopiedOnceAndARemovedOneStaysRemoved() throws IOException {
        Path distribution = distributionShipping("a-1.0.0.jar", "b-1.0.0.jar", "notes.txt");
        Path shipped = distribution.resolve("deploy");
        Path home = temp.newFolder("home").toPath();
        Settings settings = settings(distribution, home, home.resolve("deploy"));
        Files.createDirectories(settings.deploy());
        Files.createDirectories(settings.work());

        assertEquals(List.of("a-1.0.0.jar", "b-1.0.0.jar"), DefaultLibrary.seed(settings).stream().sorted().toList());
        assertEquals("b", Files.readString(settings.deploy().resolve("b-1.0.0.jar")));
        assertFalse("only jars", Files.exists(settings.deploy().resolve("notes.txt")));
        try (var left = Files.list(settings.deploy())) {
            assertEquals("the two jars and the record, no partial file", 3, left.count());
        }

        Files.delete(settings.deploy().resolve("a-1.0.0.jar"));
        assertEquals("a jar taken out of the deploy folder is not brought back", List.of(), DefaultLibrary.seed(settings));
        assertFalse(Files.exists(settings.deploy().resolve("a-1.0.0.jar")));

        Files.writeString(shipped.resolve("a-1.1.0.jar"), "a, later");
        assertEquals("a jar a later build adds arrives", List.of("a-1.1.0.jar"), DefaultLibrary.seed(settings));
        assertTrue(Files.readString(settings.deploy().resolve(DefaultLibrary.RECORD)).contains("a-1.1.0.jar"));

        Files.writeString(shipped.resolve("c-1.0.0.jar"), "c");
        Files.writeString(settings.deploy().resolve("c-1.0.0.jar"), "the user's own");
        assertEquals("a jar of that name already there is left as it is", List.of(), DefaultLibrary.seed(settings));
        assertEquals("the user's own", Files.readString(settings.deploy().resolve("c-1.0.0.jar")));
        assertTrue("and recorded", Files.readString(settings.deploy().resolve(DefaultLibrary.RECORD)).contains("c-1.0.0.jar"));
    }

    @Test
    public void aDeployFolderNamedByTheUserAndTheDistributionsOwnAreLeftAlone() throws IOException {
        Path distribution = distributionShipping("a-1.0.0.jar");
        Path shipped = distribution.resolve("deploy");
        Path elsewhere = temp.newFolder("mine").toPath();
        Settings named = settings(distribution, temp.newFolder("home").toPath(), elsewhere);
        Files.createDirectories(named.work());
        assertEquals(List.of(), DefaultLibrary.seed(named));
        try (var left = Files.list(elsewhere)) {
            assertEquals(0, left.count());
        }
        Settings own = settings(distribution, distribution, shipped);
        Files.createDirectories(own.work());
        assertEquals(List.of(), DefaultLibrary.seed(own));
    }

    /** A distribution whose deploy/ holds these files, each holding its name's first letter. */
    private Path distributionShipping(String... files) throws IOException {
        Path distribution = temp.newFolder("dist").toPath();
        Files.createDirectories(distribution.resolve("bundles"));
        Path shipped = Files.createDirectories(distribution.resolve("deploy"));
        for (String name : files) {
            Files.writeString(shipped.resolve(name), name.substring(0, 1));
        }
        return distribution;
    }

    private static Settings settings(Path distribution, Path home, Path deploy) {
        Path work = home.resolve("work");
        return new Settings(home, distribution.resolve("bundles"), work, deploy, home.resolve("configs"),
                home.resolve("data"), work.resolve("models"), 500, Duration.ofSeconds(120), false, false, List.of());
    }
}

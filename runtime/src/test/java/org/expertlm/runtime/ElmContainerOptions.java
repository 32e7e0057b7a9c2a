package org.expertlm.runtime;

import static org.ops4j.pax.exam.CoreOptions.bundle;
import static org.ops4j.pax.exam.CoreOptions.cleanCaches;
import static org.ops4j.pax.exam.CoreOptions.frameworkProperty;
import static org.ops4j.pax.exam.CoreOptions.junitBundles;
import static org.ops4j.pax.exam.CoreOptions.systemPackages;
import static org.ops4j.pax.exam.CoreOptions.systemProperty;
import static org.ops4j.pax.exam.CoreOptions.workingDirectory;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.List;

import org.ops4j.pax.exam.Option;

/**
 * The Pax Exam configuration of a real ELM container: the distribution's own bundles (from
 * {@code runtime/target/elm/bundles}) in the native Felix container, with FileInstall watching a
 * fresh deploy folder and configs folder, SLF4J exported from the class path as the launcher does.
 */
final class ElmContainerOptions {

    private ElmContainerOptions() {
    }

    /** The distribution the build assembled; failsafe passes its path. */
    static Path distribution() {
        String dist = System.getProperty("elm.dist");
        if (dist == null) {
            throw new IllegalStateException("system property elm.dist is not set; run the tests with mvn verify");
        }
        return Paths.get(dist);
    }

    static Option[] options(Path deploy, Path configs) {
        List<Option> options = new ArrayList<>();
        try (DirectoryStream<Path> jars = Files.newDirectoryStream(distribution().resolve("bundles"), "*.jar")) {
            for (Path jar : jars) {
                options.add(bundle(jar.toUri().toString()));
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot list the distribution's bundles", e);
        }
        // As the launcher does; Pax Exam's own bundles ask for SLF4J 1.x, whose API 2.0 still serves.
        List<String> packages = new ArrayList<>();
        for (String version : List.of("2.0.17", "1.7.36")) {
            for (String name : List.of("org.slf4j", "org.slf4j.event", "org.slf4j.helpers", "org.slf4j.spi")) {
                packages.add(name + ";version=" + version);
            }
        }
        options.add(systemPackages(packages.toArray(new String[0])));
        options.add(frameworkProperty("felix.fileinstall.dir").value(deploy + "," + configs));
        options.add(frameworkProperty("felix.fileinstall.poll").value("500"));
        options.add(frameworkProperty("felix.fileinstall.noInitialDelay").value("true"));
        options.add(frameworkProperty("felix.fileinstall.enableConfigSave").value("false"));
        options.add(frameworkProperty("felix.fileinstall.log.level").value("3"));
        options.add(frameworkProperty("elm.deploy.dir").value(deploy.toString()));
        options.add(frameworkProperty("elm.configs.dir").value(configs.toString()));
        options.add(frameworkProperty("gosh.args").value("--nointeractive --noshutdown"));
        options.add(systemProperty("elm.it.log").value(System.getProperty("elm.it.log", "")));
        options.add(junitBundles());
        options.add(cleanCaches());
        options.add(workingDirectory("target/paxexam"));
        return options.toArray(new Option[0]);
    }

    /** A new empty folder for one test class. */
    static Path freshFolder(String name) {
        try {
            return Files.createTempDirectory("elm-it-" + name + "-");
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}

package org.expertlm.runtime;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertNotNull;
import static org.junit.Assert.assertTrue;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.function.Supplier;

import javax.inject.Inject;

import org.apache.felix.service.command.CommandProcessor;
import org.apache.felix.service.command.CommandSession;
import org.apache.felix.service.command.Converter;
import org.expertlm.api.DeploymentMonitor;
import org.expertlm.api.DeploymentProblem;
import org.junit.Test;
import org.junit.runner.RunWith;
import org.ops4j.pax.exam.Configuration;
import org.ops4j.pax.exam.Option;
import org.ops4j.pax.exam.junit.PaxExam;
import org.ops4j.pax.exam.spi.reactors.ExamReactorStrategy;
import org.ops4j.pax.exam.spi.reactors.PerMethod;
import org.osgi.framework.Bundle;
import org.osgi.framework.BundleContext;
import org.osgi.framework.Version;

/** Hot deployment through FileInstall in a real container: install, update in place, uninstall, bad jars. */
@RunWith(PaxExam.class)
@ExamReactorStrategy(PerMethod.class)
public class DeployFolderIT {

    @Inject
    private BundleContext context;

    @Inject
    private DeploymentMonitor monitor;

    @Inject
    private CommandProcessor commands;

    @Configuration
    public Option[] config() {
        return ElmContainerOptions.options(ElmContainerOptions.freshFolder("deploy"), ElmContainerOptions.freshFolder("configs"));
    }

    private Path deploy() {
        return Paths.get(context.getProperty("elm.deploy.dir"));
    }

    @Test
    public void aBundleIsActiveWithinTwoSecondsUpdatedInPlaceAndUninstalledOnDelete() throws Exception {
        long start = System.nanoTime();
        Path jar = TestBundles.deploy(deploy(), "expert-a.jar", "org.expertlm.it.a", "1.0.0");
        Bundle installed = await(() -> activeBundle("org.expertlm.it.a"), 2_000);
        assertNotNull("the bundle was not ACTIVE within 2 s of landing in the deploy folder", installed);
        long elapsedMillis = (System.nanoTime() - start) / 1_000_000;
        assertTrue("took " + elapsedMillis + " ms", elapsedMillis <= 2_000);
        long id = installed.getBundleId();

        TestBundles.deploy(deploy(), "expert-a.jar", "org.expertlm.it.a", "1.1.0");
        Bundle updated = await(() -> {
            Bundle b = context.getBundle(id);
            return b != null && b.getState() == Bundle.ACTIVE && b.getVersion().equals(new Version(1, 1, 0)) ? b : null;
        }, 3_000);
        assertNotNull("the same bundle id did not become version 1.1.0 in place", updated);
        assertEquals("an update must keep the bundle id", id, updated.getBundleId());
        assertEquals("a rebuilt jar must not add a second bundle", 1, count("org.expertlm.it.a"));

        Files.delete(jar);
        assertNotNull("deleting the jar did not uninstall the bundle",
                await(() -> context.getBundle(id) == null ? Boolean.TRUE : null, 3_000));
    }

    @Test
    public void aCorruptJarIsReportedAndTheContainerKeepsWorking() throws Exception {
        TestLog log = TestLog.marked();
        Files.write(deploy().resolve("broken.jar"), "this is not a zip file".getBytes(StandardCharsets.UTF_8));
        DeploymentProblem problem = await(() -> monitor.problems().stream()
                .filter(p -> p.artifact().equals("broken.jar")).findFirst().orElse(null), 5_000);
        assertNotNull("the corrupt jar was not reported", problem);
        assertEquals("NOT_INSTALLED", problem.state());
        assertTrue(problem.reason(), problem.reason().contains("not a readable jar"));

        String status = run("elm:status");
        assertTrue(status, status.contains("broken.jar") && status.contains("not a readable jar"));
        String json = run("elm:status --json");
        assertTrue(json, json.contains("\"artifact\" : \"broken.jar\""));

        assertNotNull("the corrupt jar was not logged in " + log.file(),
                log.awaitAfterMark(3_000, "Deploy problem", "broken.jar", "not a readable jar"));

        // The container goes on: a good bundle still deploys, and removing the bad file clears the problem.
        TestBundles.deploy(deploy(), "good.jar", "org.expertlm.it.good", "1.0.0");
        assertNotNull(await(() -> activeBundle("org.expertlm.it.good"), 3_000));
        // The monitor's own record of what it reported must let the problem go (problems() reads the folder live).
        log.mark();
        Files.delete(deploy().resolve("broken.jar"));
        assertNotNull("the monitor did not notice that the corrupt jar was removed",
                log.awaitAfterMark(3_000, "Deploy problem gone: broken.jar"));
        assertTrue(monitor.problems().stream().noneMatch(p -> p.artifact().equals("broken.jar")));
    }

    @Test
    public void anUnresolvableBundleIsExplained() throws Exception {
        TestBundles.deploy(deploy(), "needs-missing.jar", "org.expertlm.it.needy", "1.0.0", "Import-Package", "org.example.absent");
        DeploymentProblem problem = await(() -> monitor.problems().stream()
                .filter(p -> p.artifact().equals("needs-missing.jar")).findFirst().orElse(null), 5_000);
        assertNotNull("an unresolvable bundle was not reported", problem);
        assertEquals("INSTALLED", problem.state());
        assertTrue(problem.reason(), problem.reason().contains("org.example.absent"));
    }

    private String run(String command) throws Exception {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        PrintStream print = new PrintStream(out, true, StandardCharsets.UTF_8);
        try (CommandSession session = commands.createSession(new ByteArrayInputStream(new byte[0]), print, print)) {
            Object result = session.execute(command);
            print.println(session.format(result, Converter.INSPECT));
        }
        return out.toString(StandardCharsets.UTF_8);
    }

    private Bundle activeBundle(String symbolicName) {
        for (Bundle b : context.getBundles()) {
            if (symbolicName.equals(b.getSymbolicName()) && b.getState() == Bundle.ACTIVE) {
                return b;
            }
        }
        return null;
    }

    private long count(String symbolicName) {
        long n = 0;
        for (Bundle b : context.getBundles()) {
            if (symbolicName.equals(b.getSymbolicName())) {
                n++;
            }
        }
        return n;
    }

    /** Polls every 25 ms until {@code probe} gives a value, or returns null after {@code millis}. */
    static <T> T await(Supplier<T> probe, long millis) throws InterruptedException {
        long deadline = System.nanoTime() + millis * 1_000_000;
        while (true) {
            T value = probe.get();
            if (value != null || System.nanoTime() > deadline) {
                return value;
            }
            Thread.sleep(25);
        }
    }
}

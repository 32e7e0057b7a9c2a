package org.expertlm.runtime;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertNotNull;
import static org.junit.Assert.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.stream.Stream;

import javax.inject.Inject;

import org.expertlm.api.DeploymentMonitor;
import org.junit.Before;
import org.junit.Test;
import org.junit.runner.RunWith;
import org.ops4j.pax.exam.Option;
import org.ops4j.pax.exam.junit.PaxExam;
import org.ops4j.pax.exam.spi.reactors.ExamReactorStrategy;
import org.ops4j.pax.exam.spi.reactors.PerMethod;
import org.osgi.framework.BundleContext;
import org.osgi.framework.Constants;
import org.osgi.framework.ServiceReference;
import org.osgi.service.cm.Configuration;
import org.osgi.service.cm.ConfigurationAdmin;

/** A configuration file in configs/ reaches its component while the container runs, in both formats. */
@RunWith(PaxExam.class)
@ExamReactorStrategy(PerMethod.class)
public class ConfigReloadIT {

    private static final String PID = "org.expertlm.platform.deploy";

    @Inject
    private BundleContext context;

    @Inject
    private DeploymentMonitor monitor;

    @Inject
    private ConfigurationAdmin configurationAdmin;

    @org.ops4j.pax.exam.Configuration
    public Option[] config() {
        return ElmContainerOptions.options(ElmContainerOptions.freshFolder("deploy"), ElmContainerOptions.freshFolder("configs"));
    }

    private Path configs() {
        return Paths.get(context.getProperty("elm.configs.dir"));
    }

    /** Both tests share one configs folder: each starts from an empty one and the defaults. */
    @Before
    public void emptyConfigsFolder() throws Exception {
        try (Stream<Path> files = Files.list(configs())) {
            for (Path f : files.toList()) {
                Files.delete(f);
            }
        }
        assertNotNull("the defaults did not come back",
                DeployFolderIT.await(() -> monitor.scanIntervalMillis() == 1000 ? Boolean.TRUE : null, 3_000));
    }

    @Test
    public void aChangedCfgFileReachesTheRunningComponent() throws Exception {
        assertEquals(1000, monitor.scanIntervalMillis());
        long serviceId = serviceId();

        TestBundles.write(configs(), PID + ".cfg", "scan.interval.ms = 250\n");
        assertNotNull("the .cfg file did not reach the component",
                DeployFolderIT.await(() -> monitor.scanIntervalMillis() == 250 ? Boolean.TRUE : null, 3_000));

        TestBundles.write(configs(), PID + ".cfg", "scan.interval.ms = 400\n");
        assertNotNull("the changed .cfg file did not reach the component",
                DeployFolderIT.await(() -> monitor.scanIntervalMillis() == 400 ? Boolean.TRUE : null, 3_000));
        assertEquals("the component was modified, not restarted", serviceId, serviceId());

        TestLog log = TestLog.marked();
        TestBundles.write(configs(), PID + ".cfg", "scan.interval.ms = soon\n");
        assertNotNull("the component never saw the value that is not a number",
                log.awaitAfterMark(3_000, "scan.interval.ms in configuration " + PID, "keeping 400 ms"));
        assertEquals("a value that is not a number keeps the interval in force", 400, monitor.scanIntervalMillis());
        TestBundles.write(configs(), PID + ".cfg", "scan.interval.ms = 400\n");

        Configuration configuration = configurationAdmin.getConfiguration(PID, "?");
        assertTrue(String.valueOf(configuration.getProperties().get("felix.fileinstall.filename")).endsWith(PID + ".cfg"));
        assertTrue("configs/ files must never be rewritten", Files.readString(configs().resolve(PID + ".cfg")).equals("scan.interval.ms = 400\n"));

        Files.delete(configs().resolve(PID + ".cfg"));
        assertNotNull("deleting the file did not bring the defaults back",
                DeployFolderIT.await(() -> monitor.scanIntervalMillis() == 1000 ? Boolean.TRUE : null, 3_000));
    }

    @Test
    public void aCfgJsonFileReachesTheRunningComponentAndABrokenOneChangesNothing() throws Exception {
        TestBundles.write(configs(), PID + ".cfg.json", "{ \"scan.interval.ms\": 300 }");
        assertNotNull("the .cfg.json file did not reach the component",
                DeployFolderIT.await(() -> monitor.scanIntervalMillis() == 300 ? Boolean.TRUE : null, 3_000));

        TestLog log = TestLog.marked();
        TestBundles.write(configs(), PID + ".cfg.json", "{ \"scan.interval.ms\": 300, oops }");
        assertNotNull("the broken file was never read",
                log.awaitAfterMark(3_000, PID + ".cfg.json", "line 1"));
        assertEquals("a broken file must leave the configuration in force", 300, monitor.scanIntervalMillis());

        TestBundles.write(configs(), PID + ".cfg.json", "{ \"scan.interval.ms\": 350 }");
        assertNotNull("a repaired .cfg.json file did not reach the component",
                DeployFolderIT.await(() -> monitor.scanIntervalMillis() == 350 ? Boolean.TRUE : null, 3_000));
    }

    private long serviceId() {
        ServiceReference<DeploymentMonitor> ref = context.getServiceReference(DeploymentMonitor.class);
        return (Long) ref.getProperty(Constants.SERVICE_ID);
    }
}

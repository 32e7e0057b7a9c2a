package org.expertlm.platform.internal;

import java.io.File;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.Enumeration;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;

import org.expertlm.api.BundleState;
import org.expertlm.api.ContainerProperties;
import org.expertlm.api.DeploymentMonitor;
import org.expertlm.api.DeploymentProblem;
import org.osgi.framework.Bundle;
import org.osgi.framework.BundleContext;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.ConfigurationPolicy;
import org.osgi.service.component.annotations.Deactivate;
import org.osgi.service.component.annotations.Modified;
import org.osgi.service.component.annotations.Reference;
import org.osgi.service.component.annotations.ReferenceCardinality;
import org.osgi.service.component.annotations.ReferencePolicy;
import org.osgi.service.component.annotations.ReferencePolicyOption;
import org.osgi.service.log.LogEntry;
import org.osgi.service.log.LogLevel;
import org.osgi.service.log.LogReaderService;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Finds what in the deploy folder did not become an active bundle, and logs each problem once.
 *
 * <p>FileInstall silently skips a file that is not a bundle and only logs a bundle that fails to
 * start; this component checks the folder every {@code scan.interval.ms} and keeps both visible in
 * the log and in {@link #problems()} until they are fixed. Every bundle of the container that is not
 * active is reported too, wherever it came from.
 */
@Component(service = DeploymentMonitor.class, immediate = true,
        configurationPid = DeploymentMonitorImpl.PID, configurationPolicy = ConfigurationPolicy.OPTIONAL)
public final class DeploymentMonitorImpl implements DeploymentMonitor {

    static final String PID = "org.expertlm.platform.deploy";

    /** The component's configuration (PID {@value #PID}). */
    public @interface Config {
        /** How often the deploy folder is checked, in milliseconds. */
        long scan_interval_ms() default 1000;
    }

    private static final Logger LOG = LoggerFactory.getLogger(DeploymentMonitorImpl.class);

    private final Set<DeploymentProblem> reported = new HashSet<>();
    private Set<DeploymentProblem> previousScan = Set.of();

    /** Where start failures are found: the framework and FileInstall log them, and the log keeps the latest. */
    @Reference(cardinality = ReferenceCardinality.OPTIONAL, policy = ReferencePolicy.DYNAMIC,
            policyOption = ReferencePolicyOption.GREEDY)
    private volatile LogReaderService logReader;
    private BundleContext context;
    private BundleDiagnosis diagnosis;
    private Path deployFolder;
    private long fileInstallPollMillis;
    private ScheduledExecutorService scanner;

    private ScheduledFuture<?> scan;
    private volatile long scanIntervalMillis;

    @Activate
    void activate(BundleContext context, Config config) {
        this.context = context;
        this.diagnosis = new BundleDiagnosis(context);
        this.deployFolder = resolveDeployFolder(context);
        this.fileInstallPollMillis = parseLong(context.getProperty("felix.fileinstall.poll"), 2000);
        scanner = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "elm-deploy-monitor");
            t.setDaemon(true);
            return t;
        });
        modified(config);
    }

    @Modified
    synchronized void modified(Config config) {
        long interval;
        try {
            interval = config.scan_interval_ms();
        } catch (RuntimeException e) {
            interval = scan == null ? 1000 : scanIntervalMillis;
            LOG.error("scan.interval.ms in configuration {} is not a whole number of milliseconds ({}); keeping {} ms",
                    PID, e.getMessage(), interval);
        }
        if (interval < 100) {
            LOG.warn("scan.interval.ms={} in configuration {} is below 100 ms; using 100 ms", interval, PID);
            interval = 100;
        }
        if (scan != null) {
            scan.cancel(false);
        }
        scanIntervalMillis = interval;
        scan = scanner.scheduleWithFixedDelay(this::logChanges, 0, interval, TimeUnit.MILLISECONDS);
        LOG.info("Watching deploy folder {} for problems every {} ms", deployFolder, interval);
    }

    @Deactivate
    void deactivate() {
        scanner.shutdownNow();
    }

    @Override
    public Path deployFolder() {
        return deployFolder;
    }

    @Override
    public long scanIntervalMillis() {
        return scanIntervalMillis;
    }

    @Override
    public List<DeploymentProblem> problems() {
        List<DeploymentProblem> problems = new ArrayList<>();
        Map<String, Bundle> byLocation = new HashMap<>();
        for (Bundle bundle : context.getBundles()) {
            byLocation.put(bundle.getLocation(), bundle);
        }
        Set<Long> seen = new HashSet<>();
        File[] files = deployFolder.toFile().listFiles();
        for (File file : files == null ? new File[0] : files) {
            if (!file.isFile() || file.getName().startsWith(".") || isConfiguration(file.getName())) {
                continue;
            }
            Bundle bundle = byLocation.get(file.toURI().normalize().toString());
            if (bundle != null) {
                seen.add(bundle.getBundleId());
                problemOf(file.getName(), bundle).ifPresent(problems::add);
            } else if (!file.getName().endsWith(".jar")) {
                problems.add(new DeploymentProblem(file.getName(), -1, "NOT_INSTALLED",
                        "it is not a .jar file, so FileInstall ignores it",
                        "put only bundles (.jar) and configurations (.cfg, .config, .cfg.json) in " + deployFolder));
            } else if (System.currentTimeMillis() - file.lastModified() > installGraceMillis()) {
                problems.add(new DeploymentProblem(file.getName(), -1, "NOT_INSTALLED",
                        diagnosis.whyNotInstalled(file),
                        "replace it with a valid OSGi bundle jar, or delete it"));
            }
        }
        // While the framework is still starting, bundles outside the folder are on their way up.
        if (context.getBundle(0).getState() == Bundle.ACTIVE) {
            for (Bundle bundle : context.getBundles()) {
                if (!seen.contains(bundle.getBundleId()) && bundle.getBundleId() != 0) {
                    problemOf(bundle.getSymbolicName() + " " + bundle.getVersion(), bundle).ifPresent(problems::add);
                }
            }
        }
        problems.sort(Comparator.comparing(DeploymentProblem::artifact));
        return problems;
    }

    private Optional<DeploymentProblem> problemOf(String artifact, Bundle bundle) {
        String why = diagnosis.whyNotActive(bundle);
        if (why == null) {
            return Optional.empty();
        }
        if (bundle.getState() == Bundle.RESOLVED) {
            String failure = lastStartFailure(bundle);
            if (failure != null) {
                why = why + "; last start failure: " + failure;
            }
        }
        String fix = bundle.getState() == Bundle.INSTALLED
                ? "deploy the bundles that provide the missing requirements, or remove this one"
                : "fix the cause in the log, then start it with 'start " + bundle.getBundleId() + "'";
        return Optional.of(new DeploymentProblem(artifact, bundle.getBundleId(),
                BundleState.of(bundle.getState()).name(), why, fix));
    }

    /** FileInstall needs up to a poll to notice a file and a little more to install it. */
    private long installGraceMillis() {
        return 2 * fileInstallPollMillis + 1000;
    }

    private static boolean isConfiguration(String name) {
        return name.endsWith(".cfg") || name.endsWith(".config") || name.endsWith(".cfg.json");
    }

    /**
     * Runs on the scanner thread: logs each problem once, when two scans in a row have seen it (a
     * bundle caught between install and start is not news), and logs each problem that went away.
     */
    private void logChanges() {
        if (context.getBundle(0).getState() == Bundle.STOPPING) {
            return; // the framework stops every bundle on its way down: that is not a deploy problem
        }
        try {
            Set<DeploymentProblem> now = new HashSet<>(problems());
            for (DeploymentProblem p : now) {
                if (previousScan.contains(p) && reported.add(p)) {
                    LOG.warn("Deploy problem: {} (bundle {}, {}): {}. Fix: {}",
                            p.artifact(), p.bundleId(), p.state(), p.reason(), p.fix());
                }
            }
            reported.removeIf(p -> {
                boolean gone = !now.contains(p);
                if (gone) {
                    LOG.info("Deploy problem gone: {}", p.artifact());
                }
                return gone;
            });
            previousScan = now;
        } catch (RuntimeException e) {
            // Keep watching: one bad scan (a bundle uninstalled mid-way, say) must not end the monitor.
            LOG.warn("Checking deploy folder {} failed; trying again in {} ms", deployFolder, scanIntervalMillis, e);
        }
    }

    /**
     * The newest logged failure to start {@code bundle}: a framework error event about it, or an
     * entry naming its location (FileInstall logs start failures against itself, naming the file).
     */
    private String lastStartFailure(Bundle bundle) {
        LogReaderService reader = logReader;
        if (reader == null) {
            return null;
        }
        for (Enumeration<LogEntry> entries = reader.getLog(); entries.hasMoreElements(); ) {
            LogEntry entry = entries.nextElement();
            if (entry.getException() == null || entry.getLogLevel().implies(LogLevel.INFO)) {
                continue;
            }
            boolean frameworkEvent = "Events.Framework".equals(entry.getLoggerName()) && bundle.equals(entry.getBundle());
            if (frameworkEvent || String.valueOf(entry.getMessage()).contains(bundle.getLocation())) {
                return rootMessage(entry.getException());
            }
        }
        return null;
    }

    private static String rootMessage(Throwable t) {
        Throwable root = t;
        while (root.getCause() != null && root.getCause() != root) {
            root = root.getCause();
        }
        return root == t ? String.valueOf(t.getMessage()) : t.getMessage() + " (caused by " + root + ")";
    }

    static Path resolveDeployFolder(BundleContext context) {
        String dir = context.getProperty(ContainerProperties.DEPLOY_DIR);
        if (dir == null) {
            String watched = context.getProperty("felix.fileinstall.dir");
            dir = watched == null ? "./load" : watched.split(",")[0].trim();
        }
        return Paths.get(dir).toAbsolutePath().normalize();
    }

    private static long parseLong(String value, long fallback) {
        try {
            return value == null ? fallback : Long.parseLong(value.trim());
        } catch (NumberFormatException e) {
            return fallback;
        }
    }
}

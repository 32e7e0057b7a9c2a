package org.expertlm.runtime;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.URI;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.TreeSet;

import org.apache.felix.framework.FrameworkFactory;
import org.expertlm.api.ContainerProperties;
import org.osgi.framework.Bundle;
import org.osgi.framework.BundleContext;
import org.osgi.framework.BundleException;
import org.osgi.framework.Constants;
import org.osgi.framework.FrameworkEvent;
import org.osgi.framework.launch.Framework;
import org.osgi.framework.startlevel.BundleStartLevel;
import org.osgi.framework.wiring.FrameworkWiring;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The embedded Felix framework with the platform bundles installed and started.
 *
 * <p>Framework storage persists in the work folder, so bundles hot-deployed earlier come back at the
 * next start; a platform bundle whose jar changed is updated in place, one that was removed from the
 * distribution is uninstalled. The Gogo shell bundle starts last, once every command is registered.
 */
final class Container {

    /** How the container talks to people. */
    enum Console {
        /** The Gogo shell reads this terminal; closing it (Ctrl-D) stops the container. */
        TERMINAL,
        /** No terminal: commands arrive over the console socket only. */
        SOCKET_ONLY
    }

    private static final Logger LOG = LoggerFactory.getLogger(Container.class);
    private static final String SHELL_BUNDLE = "org.apache.felix.gogo.shell";
    private static final int SHELL_START_LEVEL = 2;

    private final Framework framework;

    private Container(Framework framework) {
        this.framework = framework;
    }

    /** Starts the framework, installs and starts the platform bundles; the socket is served at {@code socket}. */
    static Container start(Settings settings, Console console, Path socket) throws ElmException {
        try {
            DefaultLibrary.seed(settings);
        } catch (IOException e) {
            // The container is useful without it: say so, and go on.
            LOG.warn("The default expert library could not be copied into {}: {}; check that the folder is writable",
                    settings.deploy(), e.toString());
        }
        Framework framework = new FrameworkFactory().newFramework(configuration(settings, console, socket));
        try {
            framework.init();
            installPlatformBundles(framework.getBundleContext(), settings.bundles());
            markForStart(framework.getBundleContext());
            framework.start(); // returns once the beginning start level is reached: every bundle has started
        } catch (BundleException | IOException | UncheckedIOException e) {
            stopQuietly(framework);
            throw new ElmException("the container could not start: " + e.getMessage()
                    + "; see " + settings.logs().resolve("elm.log") + ". A damaged framework storage is fixed by --clean", 1, e);
        }
        LOG.info("Container started: work {}, deploy {}, configs {}", settings.work(), settings.deploy(), settings.configs());
        return new Container(framework);
    }

    private static Map<String, String> configuration(Settings settings, Console console, Path socket) {
        Map<String, String> config = new HashMap<>();
        config.put(Constants.FRAMEWORK_STORAGE, settings.work().resolve("felix-cache").toString());
        if (settings.clean()) {
            config.put(Constants.FRAMEWORK_STORAGE_CLEAN, Constants.FRAMEWORK_STORAGE_CLEAN_ONFIRSTINIT);
        }
        config.put(Constants.FRAMEWORK_SYSTEMPACKAGES_EXTRA, slf4jPackages());
        config.put(Constants.FRAMEWORK_BEGINNING_STARTLEVEL, Integer.toString(SHELL_START_LEVEL));
        config.put("felix.log.level", "3");
        config.put(ContainerProperties.HOME, settings.home().toString());
        config.put(ContainerProperties.WORK_DIR, settings.work().toString());
        config.put(ContainerProperties.DEPLOY_DIR, settings.deploy().toString());
        config.put(ContainerProperties.CONFIGS_DIR, settings.configs().toString());
        config.put(ContainerProperties.DATA_DIR, settings.data().toString());
        config.put(ContainerProperties.MODELS_DIR, settings.bundles().resolveSibling("models").toString());
        config.put(ContainerProperties.USER_MODELS_DIR, settings.models().toString());
        // JavaCPP and ND4J, inside the engine bundle, reach for sun.misc.Unsafe and friends.
        config.put(Constants.FRAMEWORK_BOOTDELEGATION, "sun.*,com.sun.*,jdk.internal.*");
        // Bundle collision hooks decide about a second bundle of one symbolic name and version: the expert registry
        // lets a second expert jar of an installed id@version in, to refuse it itself with the reason elm:list shows.
        config.put(Constants.FRAMEWORK_BSNVERSION, Constants.FRAMEWORK_BSNVERSION_MANAGED);
        if (socket != null) {
            config.put(ContainerProperties.CONSOLE_SOCKET, socket.toString());
        }
        // FileInstall: bundles from deploy/, configurations from configs/; files in git are never rewritten.
        config.put("felix.fileinstall.dir", settings.deploy() + "," + settings.configs());
        config.put("felix.fileinstall.poll", Long.toString(settings.pollMillis()));
        config.put("felix.fileinstall.noInitialDelay", "true");
        // Dot-files are files being written (elm:upgrade and the packager write .<name>.partial, then rename).
        config.put("felix.fileinstall.filter", "^[^.].*$");
        config.put("felix.fileinstall.enableConfigSave", "false");
        config.put("felix.fileinstall.log.level", "3");
        config.put("felix.fileinstall.log.default", "jul"); // before the Log Service is up: into the log, not stdout
        config.put("felix.fileinstall.tmpdir", settings.work().resolve("fileinstall-tmp").toString());
        config.put("ds.loglevel", "warn");
        config.put("gosh.args", console == Console.TERMINAL ? "" : "--nointeractive --noshutdown");
        Map<String, Object> withLogger = new HashMap<>(config);
        withLogger.put("felix.log.logger", new FelixLogger());
        @SuppressWarnings({"unchecked", "rawtypes"})
        Map<String, String> raw = (Map) withLogger;
        return raw;
    }

    /** SLF4J lives on the launcher's class path; the system bundle exports it so bundles share the one log. */
    private static String slf4jPackages() {
        Properties p = new Properties();
        try (InputStream in = Container.class.getResourceAsStream("launcher.properties")) {
            p.load(in);
        } catch (IOException | NullPointerException e) {
            throw new IllegalStateException("launcher.properties is missing from the launcher jar; rebuild it", e);
        }
        String version = p.getProperty("slf4j.version");
        List<String> packages = new ArrayList<>();
        for (String name : List.of("org.slf4j", "org.slf4j.event", "org.slf4j.helpers", "org.slf4j.spi")) {
            packages.add(name + ";version=\"" + version + "\"");
        }
        return String.join(",", packages);
    }

    private static void installPlatformBundles(BundleContext context, Path folder) throws IOException, BundleException {
        Set<String> wanted = new TreeSet<>();
        try (DirectoryStream<Path> jars = Files.newDirectoryStream(folder, "*.jar")) {
            for (Path jar : jars) {
                wanted.add(jar.toUri().toString());
            }
        }
        String prefix = folder.toUri().toString();
        List<Bundle> changed = new ArrayList<>();
        for (Bundle b : context.getBundles()) {
            if (b.getLocation().startsWith(prefix) && !wanted.contains(b.getLocation())) {
                LOG.info("Uninstalling {}: its jar left {}", b.getSymbolicName(), folder);
                b.uninstall();
                changed.add(b);
            }
        }
        for (String location : wanted) {
            Bundle existing = context.getBundle(location);
            if (existing == null) {
                context.installBundle(location);
            } else if (Files.getLastModifiedTime(Path.of(URI.create(location))).toMillis() > existing.getLastModified()) {
                LOG.info("Updating {} from its newer jar", existing.getSymbolicName());
                existing.update();
                changed.add(existing);
            }
        }
        if (!changed.isEmpty()) {
            context.getBundle(0).adapt(FrameworkWiring.class).refreshBundles(changed);
        }
    }

    /**
     * Marks every bundle but fragments for start; the framework starts them when it starts. The
     * shell gets a later start level than the rest, so that every command exists when its console opens.
     */
    private static void markForStart(BundleContext context) {
        for (Bundle b : context.getBundles()) {
            if (b.getBundleId() == 0 || b.getHeaders("").get(Constants.FRAGMENT_HOST) != null) {
                continue;
            }
            if (SHELL_BUNDLE.equals(b.getSymbolicName())) {
                b.adapt(BundleStartLevel.class).setStartLevel(SHELL_START_LEVEL);
            }
            try {
                b.start();
            } catch (BundleException | IllegalStateException e) {
                LOG.error("Bundle {} ({}) cannot be started: {}", b.getSymbolicName(), b.getLocation(), e.getMessage(), e);
            }
        }
    }

    /** Blocks until the framework stops (from the shell, the socket or {@link #stop}). */
    void awaitStop() throws InterruptedException {
        framework.waitForStop(0);
    }

    /** Stops the framework and waits for it, at most {@code millis}. */
    boolean stop(long millis) {
        try {
            framework.stop();
            return framework.waitForStop(millis).getType() != FrameworkEvent.WAIT_TIMEDOUT;
        } catch (BundleException e) {
            LOG.error("Stopping the framework failed", e);
            return false;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        }
    }

    private static void stopQuietly(Framework framework) {
        try {
            framework.stop();
            framework.waitForStop(10_000);
        } catch (BundleException | InterruptedException e) {
            LOG.debug("Stopping a framework that failed to start", e);
        }
    }
}

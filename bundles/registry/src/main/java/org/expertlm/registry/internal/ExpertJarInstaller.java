package org.expertlm.registry.internal;

import java.io.File;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

import org.apache.felix.fileinstall.ArtifactInstaller;
import org.expertlm.api.ContainerProperties;
import org.osgi.framework.Bundle;
import org.osgi.framework.BundleContext;
import org.osgi.framework.BundleException;
import org.osgi.framework.Constants;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Installs the expert jars of the deploy folder for FileInstall. FileInstall on its own would take a
 * second jar of an installed id@version as an update of the bundle already installed, replacing that
 * expert's content with no word said; installed as a bundle of its own, the second jar reaches the
 * extender, which refuses it with the reason. Other jars stay FileInstall's. Ranked above FileInstall's own
 * installers; also registered under its own class, for the extender to ask which jars it has handled.
 */
@Component(service = {ArtifactInstaller.class, ExpertJarInstaller.class},
        property = Constants.SERVICE_RANKING + ":Integer=100")
public final class ExpertJarInstaller implements ArtifactInstaller {

    private static final Logger LOG = LoggerFactory.getLogger(ExpertJarInstaller.class);

    private final BundleContext context;
    private final Path deployFolder;
    /** The locations of the jars whose installation (or update) has been done, failed or not. */
    private final Set<String> handled = ConcurrentHashMap.newKeySet();

    @Activate
    public ExpertJarInstaller(BundleContext context) {
        this.context = context;
        String folder = context.getProperty(ContainerProperties.DEPLOY_DIR);
        this.deployFolder = folder == null ? null : Path.of(folder).toAbsolutePath().normalize();
    }

    /**
     * True once this installer has installed (or updated) the jar and tried to start its bundle: by then the
     * extender has taken it up, or its bundle could not be resolved.
     */
    boolean handled(Path jar) {
        return handled.contains(DeployFolder.location(jar));
    }

    @Override
    public boolean canHandle(File artifact) {
        if (deployFolder == null || !artifact.getName().endsWith(".jar")
                || !deployFolder.equals(artifact.toPath().toAbsolutePath().normalize().getParent())) {
            return false;
        }
        try {
            return DeployFolder.identify(artifact.toPath()).expert();
        } catch (IllegalArgumentException unreadable) {
            return false; // FileInstall's to fail on; the deployment monitor reports it
        }
    }

    @Override
    public void install(File artifact) throws Exception {
        try {
            Bundle bundle = context.getBundle(location(artifact));
            if (bundle != null && bundle.getLastModified() >= artifact.lastModified()) {
                return; // installed before this start, from this very file
            }
            if (bundle != null) {
                update(artifact);
                return;
            }
            try (InputStream in = Files.newInputStream(artifact.toPath())) {
                start(context.installBundle(location(artifact), in));
            }
        } finally {
            handled.add(location(artifact));
        }
    }

    @Override
    public void update(File artifact) throws Exception {
        Bundle bundle = context.getBundle(location(artifact));
        if (bundle == null) {
            install(artifact);
            return;
        }
        try (InputStream in = Files.newInputStream(artifact.toPath())) {
            bundle.update(in);
            start(bundle);
        } finally {
            handled.add(location(artifact));
        }
    }

    /**
     * Starts an expert bundle (data only: it becomes active at once). One that declares an activator fails to
     * start; it stays installed, for the extender to refuse with the reason and for FileInstall to uninstall
     * when its file goes (an exception here would make FileInstall forget the file, and keep the bundle).
     */
    private static void start(Bundle bundle) {
        try {
            bundle.start();
        } catch (BundleException e) {
            LOG.warn("Expert bundle {} did not start: {}", bundle.getLocation(), e.getMessage());
        }
    }

    @Override
    public void uninstall(File artifact) throws Exception {
        handled.remove(location(artifact));
        Bundle bundle = context.getBundle(location(artifact));
        if (bundle != null) {
            bundle.uninstall();
        }
    }

    private static String location(File artifact) {
        return DeployFolder.location(artifact.toPath());
    }
}

package org.expertlm.registry.internal;

import java.io.File;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;

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
 * extender, which refuses it with the reason. Other jars stay FileInstall's.
 */
@Component(service = ArtifactInstaller.class, property = Constants.SERVICE_RANKING + ":Integer=100")
public final class ExpertJarInstaller implements ArtifactInstaller {

    private static final Logger LOG = LoggerFactory.getLogger(ExpertJarInstaller.class);

    private final BundleContext context;
    private final Path deployFolder;

    @Activate
    public ExpertJarInstaller(BundleContext context) {
        this.context = context;
        String folder = context.getProperty(ContainerProperties.DEPLOY_DIR);
        this.deployFolder = folder == null ? null : Path.of(folder).toAbsolutePath().normalize();
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
        }
        start(bundle);
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
        Bundle bundle = context.getBundle(location(artifact));
        if (bundle != null) {
            bundle.uninstall();
        }
    }

    /** The location FileInstall and the deployment monitor give a file's bundle. */
    private static String location(File artifact) {
        return artifact.toURI().normalize().toString();
    }
}

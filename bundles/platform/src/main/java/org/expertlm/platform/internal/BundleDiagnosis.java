package org.expertlm.platform.internal;

import java.io.File;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.jar.Attributes;
import java.util.jar.JarFile;
import java.util.jar.Manifest;

import org.osgi.framework.Bundle;
import org.osgi.framework.BundleContext;
import org.osgi.framework.Constants;
import org.osgi.framework.Version;
import org.osgi.framework.wiring.BundleRequirement;
import org.osgi.framework.wiring.BundleRevision;
import org.osgi.framework.wiring.FrameworkWiring;
import org.osgi.resource.Namespace;

/**
 * Says in words why a jar did not install or a bundle is not active. Pure inspection: it never
 * changes a bundle's state, so asking is always safe.
 */
final class BundleDiagnosis {

    private final BundleContext context;

    BundleDiagnosis(BundleContext context) {
        this.context = context;
    }

    /** Why FileInstall did not install {@code jar}; the file is read, never modified. */
    String whyNotInstalled(File jar) {
        Manifest manifest;
        try (JarFile file = new JarFile(jar)) {
            manifest = file.getManifest();
        } catch (IOException | SecurityException e) {
            return "it is not a readable jar (" + e.getMessage() + ")";
        }
        if (manifest == null) {
            return "the jar has no META-INF/MANIFEST.MF, so it is not an OSGi bundle";
        }
        Attributes main = manifest.getMainAttributes();
        String symbolicName = main.getValue(Constants.BUNDLE_SYMBOLICNAME);
        if (symbolicName == null) {
            return "its manifest has no Bundle-SymbolicName, so it is a plain jar, not an OSGi bundle";
        }
        String name = symbolicName.split(";", 2)[0].trim();
        Version version;
        try {
            version = Version.parseVersion(main.getValue(Constants.BUNDLE_VERSION));
        } catch (IllegalArgumentException e) {
            return "its Bundle-Version '" + main.getValue(Constants.BUNDLE_VERSION) + "' is not a valid version";
        }
        for (Bundle other : context.getBundles()) {
            if (name.equals(other.getSymbolicName()) && version.equals(other.getVersion())) {
                return "bundle " + other.getBundleId() + " (" + other.getLocation() + ") already has symbolic name "
                        + name + " and version " + version;
            }
        }
        return "FileInstall did not install it (bundle " + name + " " + version + "); the log says why";
    }

    /** Why an installed bundle is not active, or {@code null} when its state is as it should be. */
    String whyNotActive(Bundle bundle) {
        int state = bundle.getState();
        boolean fragment = bundle.getHeaders("").get(Constants.FRAGMENT_HOST) != null;
        if (state == Bundle.ACTIVE || (fragment && state == Bundle.RESOLVED)) {
            return null;
        }
        if (state == Bundle.STARTING || state == Bundle.STOPPING || state == Bundle.UNINSTALLED) {
            return null; // passing states (or a lazy bundle waiting for its first class load)
        }
        if (state == Bundle.INSTALLED) {
            List<String> missing = missingRequirements(bundle);
            return missing.isEmpty()
                    ? "it cannot be resolved although every requirement has a provider (a uses-constraint conflict)"
                    : "it cannot be resolved: missing " + String.join("; ", missing);
        }
        return "it is resolved but not started (stopped by hand, or its activator failed)";
    }

    /** Mandatory requirements of the bundle that no installed bundle provides. */
    List<String> missingRequirements(Bundle bundle) {
        List<String> missing = new ArrayList<>();
        BundleRevision revision = bundle.adapt(BundleRevision.class);
        FrameworkWiring wiring = context.getBundle(Constants.SYSTEM_BUNDLE_LOCATION).adapt(FrameworkWiring.class);
        if (revision == null || wiring == null) {
            return missing;
        }
        for (BundleRequirement requirement : revision.getDeclaredRequirements(null)) {
            String resolution = requirement.getDirectives().get(Namespace.REQUIREMENT_RESOLUTION_DIRECTIVE);
            String effective = requirement.getDirectives().get(Namespace.REQUIREMENT_EFFECTIVE_DIRECTIVE);
            if (Namespace.RESOLUTION_OPTIONAL.equals(resolution)
                    || (effective != null && !Namespace.EFFECTIVE_RESOLVE.equals(effective))) {
                continue;
            }
            if (wiring.findProviders(requirement).isEmpty()) {
                String filter = requirement.getDirectives().get(Namespace.REQUIREMENT_FILTER_DIRECTIVE);
                missing.add(requirement.getNamespace() + " " + (filter == null ? "" : filter));
            }
        }
        return missing;
    }
}

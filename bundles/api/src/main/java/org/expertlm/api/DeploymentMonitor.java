package org.expertlm.api;

import java.nio.file.Path;
import java.util.List;

import org.osgi.annotation.versioning.ProviderType;

/**
 * Watches over the hot-deploy folder and the bundles installed from it, and says what went wrong.
 *
 * <p>Apache Felix FileInstall does the installing; it logs a failure and moves on. This service
 * keeps those failures visible: a file in the deploy folder that is not an installed bundle, or a
 * bundle from it that is not active, is a {@link DeploymentProblem} until it is fixed or removed.
 *
 * <pre>{@code
 * for (DeploymentProblem p : monitor.problems()) {
 *     System.out.println(p.artifact() + ": " + p.reason() + " -- " + p.fix());
 * }
 * }</pre>
 */
@ProviderType
public interface DeploymentMonitor {

    /** The folder that is watched for bundles, as an absolute path. */
    Path deployFolder();

    /** How often, in milliseconds, the folder is checked for new problems. */
    long scanIntervalMillis();

    /** The problems present now, ordered by artifact name; empty when everything deployed is active. */
    List<DeploymentProblem> problems();
}

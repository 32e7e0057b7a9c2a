package org.expertlm.console.internal;

import java.util.List;
import java.util.Map;

import org.expertlm.api.DeploymentProblem;

/**
 * What {@code elm:status} returns: the container at one moment. Serialised as-is by Jackson for
 * {@code --json}, and rendered as text by {@link TextFormats}.
 *
 * @param framework the OSGi framework and the launcher's settings
 * @param deploy the hot-deploy folder, or {@code null} when the deployment monitor is not running
 * @param bundles every installed bundle
 * @param configurations every configuration in Config Admin, with the file it came from
 * @param problems bundles that failed to install or start, with the reason and a fix
 * @param components Declarative Services components that are not satisfied, with the reason
 */
record StatusReport(Framework framework, Deploy deploy, List<BundleInfo> bundles,
        List<ConfigurationInfo> configurations, List<DeploymentProblem> problems,
        List<ComponentProblem> components) {

    /** The framework and where the container keeps its things. */
    record Framework(String vendor, String version, String state, int startLevel, String storage,
            String workFolder, String configsFolder, String consoleSocket) {
    }

    /** The folder FileInstall watches and how often the monitor checks it. */
    record Deploy(String folder, long scanIntervalMillis) {
    }

    /** One installed bundle. */
    record BundleInfo(long id, String symbolicName, String version, String state, String location) {
    }

    /** One configuration in force. */
    record ConfigurationInfo(String pid, String factoryPid, String source, Map<String, Object> properties) {
    }

    /** A component that is not running, and why. */
    record ComponentProblem(String name, String bundle, String state, String reason) {
    }

    /** True when nothing failed to install, start or activate. */
    boolean healthy() {
        return problems.isEmpty() && components.isEmpty() && deploy != null;
    }
}

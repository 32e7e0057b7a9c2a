package org.expertlm.console.internal;

import java.io.IOException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.Enumeration;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

import org.expertlm.api.BundleState;
import org.expertlm.api.ContainerProperties;
import org.expertlm.api.DeploymentMonitor;
import org.osgi.framework.Bundle;
import org.osgi.framework.BundleContext;
import org.osgi.framework.Constants;
import org.osgi.framework.InvalidSyntaxException;
import org.osgi.framework.startlevel.FrameworkStartLevel;
import org.osgi.service.cm.Configuration;
import org.osgi.service.cm.ConfigurationAdmin;
import org.osgi.service.component.runtime.ServiceComponentRuntime;
import org.osgi.service.component.runtime.dto.ComponentConfigurationDTO;
import org.osgi.service.component.runtime.dto.ComponentDescriptionDTO;
import org.osgi.service.component.runtime.dto.UnsatisfiedReferenceDTO;

/** Gathers a {@link StatusReport} from the framework and whichever platform services are present. */
final class StatusCollector {

    static final String FILENAME = "felix.fileinstall.filename";

    private StatusCollector() {
    }

    static StatusReport collect(BundleContext context, DeploymentMonitor monitor, ConfigurationAdmin configAdmin,
            ServiceComponentRuntime scr) {
        Bundle system = context.getBundle(0);
        FrameworkStartLevel startLevel = system.adapt(FrameworkStartLevel.class);
        StatusReport.Framework framework = new StatusReport.Framework(
                context.getProperty(Constants.FRAMEWORK_VENDOR), system.getVersion().toString(),
                BundleState.of(system.getState()).name(), startLevel == null ? -1 : startLevel.getStartLevel(),
                context.getProperty(Constants.FRAMEWORK_STORAGE), context.getProperty(ContainerProperties.WORK_DIR),
                context.getProperty(ContainerProperties.CONFIGS_DIR), context.getProperty(ContainerProperties.CONSOLE_SOCKET));
        StatusReport.Deploy deploy = monitor == null ? null
                : new StatusReport.Deploy(monitor.deployFolder().toString(), monitor.scanIntervalMillis());
        List<StatusReport.BundleInfo> bundles = new ArrayList<>();
        for (Bundle b : context.getBundles()) {
            bundles.add(new StatusReport.BundleInfo(b.getBundleId(), b.getSymbolicName(), b.getVersion().toString(),
                    BundleState.of(b.getState()).name(), b.getLocation()));
        }
        return new StatusReport(framework, deploy, bundles, configurations(configAdmin),
                monitor == null ? List.of() : monitor.problems(), componentProblems(scr));
    }

    private static List<StatusReport.ConfigurationInfo> configurations(ConfigurationAdmin configAdmin) {
        List<StatusReport.ConfigurationInfo> result = new ArrayList<>();
        if (configAdmin == null) {
            return result;
        }
        Configuration[] all;
        try {
            all = configAdmin.listConfigurations(null);
        } catch (IOException | InvalidSyntaxException e) {
            throw new IllegalStateException("Config Admin could not list its configurations: " + e.getMessage(), e);
        }
        for (Configuration c : all == null ? new Configuration[0] : all) {
            Map<String, Object> properties = new TreeMap<>();
            Object source = null;
            if (c.getProperties() != null) {
                for (Enumeration<String> keys = c.getProperties().keys(); keys.hasMoreElements(); ) {
                    String key = keys.nextElement();
                    Object value = c.getProperties().get(key);
                    if (key.equals(FILENAME)) {
                        source = value;
                    } else if (!key.equals(Constants.SERVICE_PID) && !key.equals(ConfigurationAdmin.SERVICE_FACTORYPID)) {
                        properties.put(key, value instanceof Object[] array ? Arrays.asList(array) : value);
                    }
                }
            }
            result.add(new StatusReport.ConfigurationInfo(c.getPid(), c.getFactoryPid(),
                    source == null ? null : source.toString(), properties));
        }
        result.sort(Comparator.comparing(StatusReport.ConfigurationInfo::pid));
        return result;
    }

    private static List<StatusReport.ComponentProblem> componentProblems(ServiceComponentRuntime scr) {
        List<StatusReport.ComponentProblem> result = new ArrayList<>();
        if (scr == null) {
            return result;
        }
        for (ComponentDescriptionDTO description : scr.getComponentDescriptionDTOs()) {
            String bundle = description.bundle.symbolicName;
            if (!scr.isComponentEnabled(description)) {
                continue;
            }
            for (ComponentConfigurationDTO config : scr.getComponentConfigurationDTOs(description)) {
                String reason = reason(config);
                if (reason != null) {
                    result.add(new StatusReport.ComponentProblem(description.name, bundle, componentState(config.state), reason));
                }
            }
        }
        return result;
    }

    private static String reason(ComponentConfigurationDTO config) {
        switch (config.state) {
            case ComponentConfigurationDTO.UNSATISFIED_CONFIGURATION:
                return "its required configuration is missing";
            case ComponentConfigurationDTO.UNSATISFIED_REFERENCE:
                List<String> missing = new ArrayList<>();
                for (UnsatisfiedReferenceDTO ref : config.unsatisfiedReferences) {
                    missing.add(ref.name + (ref.target == null ? "" : " " + ref.target));
                }
                return "no service for reference " + String.join(", ", missing);
            case ComponentConfigurationDTO.FAILED_ACTIVATION:
                return "activation failed: " + config.failure;
            default:
                return null;
        }
    }

    private static String componentState(int state) {
        return switch (state) {
            case ComponentConfigurationDTO.UNSATISFIED_CONFIGURATION -> "UNSATISFIED_CONFIGURATION";
            case ComponentConfigurationDTO.UNSATISFIED_REFERENCE -> "UNSATISFIED_REFERENCE";
            case ComponentConfigurationDTO.SATISFIED -> "SATISFIED";
            case ComponentConfigurationDTO.ACTIVE -> "ACTIVE";
            case ComponentConfigurationDTO.FAILED_ACTIVATION -> "FAILED_ACTIVATION";
            default -> "UNKNOWN(" + state + ")";
        };
    }
}

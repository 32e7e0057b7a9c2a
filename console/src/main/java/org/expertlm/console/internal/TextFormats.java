package org.expertlm.console.internal;

import java.util.Formatter;
import java.util.Map;

import org.apache.felix.service.command.Converter;
import org.expertlm.api.DeploymentProblem;
import org.osgi.service.component.annotations.Component;

/**
 * Renders the console's DTOs as text for people; {@code --json} gives the same DTOs to scripts.
 * Registered as a Gogo {@link Converter}, so the shell uses it whenever it prints one of them.
 */
@Component(property = "osgi.converter.classes=org.expertlm.console.internal.StatusReport")
public final class TextFormats implements Converter {

    @Override
    public Object convert(Class<?> desiredType, Object in) {
        return null;
    }

    @Override
    public CharSequence format(Object target, int level, Converter escape) {
        if (target instanceof StatusReport report) {
            return level == Converter.INSPECT ? status(report) : summary(report);
        }
        return null;
    }

    static String summary(StatusReport r) {
        return "ELM container " + r.framework().state() + ", " + r.bundles().size() + " bundles, "
                + r.problems().size() + " problems";
    }

    static String status(StatusReport r) {
        StringBuilder text = new StringBuilder();
        Formatter f = new Formatter(text);
        StatusReport.Framework fw = r.framework();
        f.format("Framework   %s %s, %s, start level %d%n", fw.vendor(), fw.version(), fw.state(), fw.startLevel());
        f.format("Work folder %s%n", fw.workFolder());
        f.format("Storage     %s%n", fw.storage());
        f.format("Configs     %s%n", fw.configsFolder());
        f.format("Deploy      %s%n", r.deploy() == null ? "(deployment monitor not running)"
                : r.deploy().folder() + " (checked every " + r.deploy().scanIntervalMillis() + " ms)");
        f.format("Console     %s%n", fw.consoleSocket() == null ? "this terminal" : fw.consoleSocket());

        f.format("%nBundles (%d)%n", r.bundles().size());
        for (StatusReport.BundleInfo b : r.bundles()) {
            f.format("  %4d  %-9s %s %s%n", b.id(), b.state(), b.symbolicName(), b.version());
        }
        f.format("%nConfigurations (%d)%n", r.configurations().size());
        for (StatusReport.ConfigurationInfo c : r.configurations()) {
            f.format("  %s%s%n", c.pid(), c.source() == null ? "" : "  <- " + c.source());
            for (Map.Entry<String, Object> p : c.properties().entrySet()) {
                f.format("      %s = %s%n", p.getKey(), p.getValue());
            }
        }
        f.format("%nProblems (%d)%n", r.problems().size() + r.components().size());
        for (DeploymentProblem p : r.problems()) {
            f.format("  %s [%s%s]: %s%n      fix: %s%n", p.artifact(), p.state(),
                    p.bundleId() < 0 ? "" : ", bundle " + p.bundleId(), p.reason(), p.fix());
        }
        for (StatusReport.ComponentProblem c : r.components()) {
            f.format("  component %s (%s) [%s]: %s%n", c.name(), c.bundle(), c.state(), c.reason());
        }
        if (r.healthy()) {
            f.format("  none%n");
        }
        return text.toString().stripTrailing();
    }
}

package org.expertlm.launch;

import java.io.PrintStream;
import java.nio.file.Path;
import java.util.List;
import java.util.ServiceLoader;
import java.util.TreeMap;

import org.osgi.annotation.versioning.ConsumerType;

/**
 * A command of {@code ./elm} that runs in the launcher's process, outside the container (such as
 * {@code ./elm data fetch}). Implementations live in the jars on the launcher's class path and are
 * listed in their {@code META-INF/services/org.expertlm.launch.LauncherTool}; the launcher finds them
 * by {@link #name()} with {@link #find}, so it imports none of their packages.
 */
@ConsumerType
public interface LauncherTool {

    /** The word after {@code ./elm} that runs this tool, e.g. {@code data}. */
    String name();

    /** One or more lines of usage, each starting with {@code elm <name>}. */
    String usage();

    /**
     * Runs the tool.
     *
     * @param arguments the words after the tool's name, the launcher's own options removed
     * @param home the ELM home
     * @param data the data cache
     * @return the exit status: 0 done, 1 failed, 2 bad usage
     */
    int run(List<String> arguments, Path home, Path data, PrintStream out, PrintStream err);

    /**
     * The tool called {@code name} on the class path of {@code loader}.
     *
     * @throws IllegalArgumentException when none has that name (the message lists the tools there are)
     */
    static LauncherTool find(String name, ClassLoader loader) {
        TreeMap<String, LauncherTool> tools = new TreeMap<>();
        for (LauncherTool tool : ServiceLoader.load(LauncherTool.class, loader)) {
            tools.putIfAbsent(tool.name(), tool);
        }
        LauncherTool tool = tools.get(name);
        if (tool == null) {
            throw new IllegalArgumentException("no launcher tool '" + name + "'; the class path has "
                    + (tools.isEmpty() ? "none (lib/ lacks the elm-tasks jar: rebuild with mvn install)" : String.join(", ", tools.keySet())));
        }
        return tool;
    }
}

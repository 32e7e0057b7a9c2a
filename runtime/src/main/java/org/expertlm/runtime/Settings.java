package org.expertlm.runtime;

import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Where the container keeps things and how long the launcher waits, from the command line, then the
 * environment, then defaults relative to the ELM home (the repository or an unpacked distribution).
 *
 * @param home the ELM home: {@code deploy/}, {@code configs/} and {@code work/} default to folders in it
 * @param bundles the platform bundles installed at start (the distribution's {@code bundles/})
 * @param work framework storage, logs, the console socket and the lock
 * @param deploy the hot-deploy folder FileInstall watches
 * @param configs the Config Admin folder FileInstall watches ({@code .cfg}, {@code .cfg.json})
 * @param data the data cache that {@code elm data fetch} fills and the task catalog reads
 * @param models the models trained here (base models and experts), outside the build's output
 * @param pollMillis how often FileInstall checks both folders
 * @param timeout how long {@code exec} and {@code stop} may take in all
 * @param clean whether framework storage is wiped at start
 * @param daemon whether {@code start} runs the container in the background
 * @param arguments the operands after the options (for {@code exec}, the commands)
 */
record Settings(Path home, Path bundles, Path work, Path deploy, Path configs, Path data, Path models, long pollMillis,
        Duration timeout, boolean clean, boolean daemon, List<String> arguments) {

    static final String USAGE = String.join("\n",
            "usage: elm start [--daemon] [options]       run the container (console on this terminal, or in the background)",
            "       elm exec [options] '<gogo commands>'  run commands in the running container, or in a fresh one that then exits",
            "       elm stop [options]                    stop the background container",
            "       elm data fetch [source...]            fetch the datasets from their registries into the data cache",
            "       elm data cards [folder]               write the data cards (default docs/data-cards)",
            "       elm library train|plan <config> [--out folder]",
            "                                             train an expert library's jars (configs/library/default.json), or show its jobs",
            "       elm eval <config> [--quick]          run an evaluation (configs/eval/full.json) and write its report",
            "options (environment variable in brackets):",
            "  --home DIR      ELM home; deploy/, configs/ and work/ default to folders in it [ELM_HOME]",
            "  --work DIR      framework storage, logs and the console socket [ELM_WORK]",
            "  --deploy DIR    hot-deploy folder watched for bundles [ELM_DEPLOY]",
            "  --configs DIR   configuration folder (.cfg, .cfg.json) [ELM_CONFIGS]",
            "  --data DIR      data cache of fetched datasets (default data/) [ELM_DATA]",
            "  --models DIR    models trained here, base models and experts (default work/models/) [ELM_MODELS]",
            "  --poll MS       how often both folders are checked, at most 500 (default 200) [ELM_POLL_MS]",
            "  --timeout S     seconds exec or stop may take before giving up (default 120) [ELM_TIMEOUT]",
            "  --clean         start from empty framework storage (bundles from deploy/ are installed again)");

    /** Parses {@code args} with options anywhere among the operands. */
    static Settings parse(List<String> args, Map<String, String> env) throws ElmException {
        return parse(args, env, true);
    }

    /**
     * Parses {@code args}. Unless {@code optionsAnywhere}, options stop at the first operand and all
     * that follows is operands, so that the commands given to {@code exec} may contain any words.
     */
    static Settings parse(List<String> args, Map<String, String> env, boolean optionsAnywhere) throws ElmException {
        String home = env.get("ELM_HOME");
        String work = env.get("ELM_WORK");
        String deploy = env.get("ELM_DEPLOY");
        String configs = env.get("ELM_CONFIGS");
        String data = env.get("ELM_DATA");
        String models = env.get("ELM_MODELS");
        // FileInstall takes a file once two scans in a row see it unchanged: a jar landing waits one to two intervals,
        // so 200 ms keeps deploy-to-service under a second (bench/registry).
        String poll = env.getOrDefault("ELM_POLL_MS", "200");
        String timeout = env.getOrDefault("ELM_TIMEOUT", "120");
        boolean clean = false;
        boolean daemon = false;
        List<String> rest = new ArrayList<>();
        for (int i = 0; i < args.size(); i++) {
            String a = args.get(i);
            if (!rest.isEmpty() && !optionsAnywhere) {
                rest.add(a);
                continue;
            }
            switch (a) {
                case "--home" -> home = value(args, ++i, a);
                case "--work" -> work = value(args, ++i, a);
                case "--deploy" -> deploy = value(args, ++i, a);
                case "--configs" -> configs = value(args, ++i, a);
                case "--data" -> data = value(args, ++i, a);
                case "--models" -> models = value(args, ++i, a);
                case "--poll" -> poll = value(args, ++i, a);
                case "--timeout" -> timeout = value(args, ++i, a);
                case "--clean" -> clean = true;
                case "--daemon" -> daemon = true;
                default -> rest.add(a);
            }
        }
        Path launcherLib = launcherFolder();
        Path homePath = home != null ? absolute(home) : launcherLib.getParent();
        long pollMillis = number(poll, "--poll");
        if (pollMillis < 10 || pollMillis > 500) {
            throw new ElmException("--poll " + pollMillis + " is out of range; expected 10 to 500 milliseconds", 2, null);
        }
        long seconds = number(timeout, "--timeout");
        if (seconds < 1) {
            throw new ElmException("--timeout " + seconds + " is out of range; expected at least 1 second", 2, null);
        }
        Path workPath = work != null ? absolute(work) : homePath.resolve("work");
        return new Settings(homePath, launcherLib.getParent().resolve("bundles"), workPath,
                deploy != null ? absolute(deploy) : homePath.resolve("deploy"),
                configs != null ? absolute(configs) : homePath.resolve("configs"),
                data != null ? absolute(data) : homePath.resolve("data"),
                models != null ? absolute(models) : workPath.resolve("models"),
                pollMillis, Duration.ofSeconds(seconds), clean, daemon, List.copyOf(rest));
    }

    /** These settings with another time limit for exec and stop. */
    Settings withTimeout(Duration limit) {
        return new Settings(home, bundles, work, deploy, configs, data, models, pollMillis, limit, clean, daemon, arguments);
    }

    /** The console socket of a container started in this work folder. */
    Path socket() {
        return work.resolve("run").resolve("console.sock");
    }

    Path logs() {
        return work.resolve("log");
    }

    /** Checks that the folders the container needs exist or can be made, and says which one failed. */
    void prepareFolders() throws ElmException {
        if (!Files.isDirectory(bundles)) {
            throw new ElmException("no platform bundles at " + bundles
                    + "; expected the distribution's bundles/ folder. Build it with: mvn -q -B install -DskipTests");
        }
        for (Path folder : List.of(work, deploy, configs, models, logs())) {
            try {
                Files.createDirectories(folder);
            } catch (java.io.IOException e) {
                throw new ElmException("cannot create folder " + folder + ": " + e.getMessage()
                        + "; choose another with --work, --deploy, --configs or --models");
            }
        }
    }

    private static String value(List<String> args, int i, String option) throws ElmException {
        if (i >= args.size() || args.get(i).startsWith("--")) {
            throw new ElmException(option + " needs a value", 2, null);
        }
        return args.get(i);
    }

    private static long number(String text, String option) throws ElmException {
        try {
            return Long.parseLong(text.trim());
        } catch (NumberFormatException e) {
            throw new ElmException(option + " '" + text + "' is not a whole number", 2, null);
        }
    }

    private static Path absolute(String path) {
        return Paths.get(path).toAbsolutePath().normalize();
    }

    /** The folder holding the launcher jar: the distribution's {@code lib/}. */
    private static Path launcherFolder() throws ElmException {
        try {
            Path jar = Paths.get(Settings.class.getProtectionDomain().getCodeSource().getLocation().toURI());
            return (Files.isDirectory(jar) ? jar : jar.getParent()).toAbsolutePath().normalize();
        } catch (URISyntaxException | SecurityException e) {
            throw new ElmException("cannot tell where the launcher jar is: " + e.getMessage());
        }
    }
}

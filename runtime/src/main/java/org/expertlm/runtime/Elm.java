package org.expertlm.runtime;

import java.io.File;
import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintStream;
import java.lang.management.ManagementFactory;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.stream.Stream;

import org.expertlm.launch.ConsoleWire;
import org.expertlm.launch.LauncherTool;

/**
 * {@code elm start | exec | stop}: the entry point behind the {@code ./elm} script.
 *
 * <p>A container holds its work folder's lock for its whole life and serves its console on the
 * folder's Unix socket. {@code exec} uses that socket when a container answers there, and otherwise
 * starts a container of its own for the one script (on a private socket) and stops it afterwards.
 */
public final class Elm {

    /** A Unix socket path may hold 107 bytes on Linux. */
    private static final int MAX_SOCKET_PATH = 107;
    private static final Duration DAEMON_START_LIMIT = Duration.ofSeconds(60);
    /** A library takes hours; {@code library} waits this long unless told otherwise. */
    private static final Duration LIBRARY_TIME_LIMIT = Duration.ofDays(30);
    /** How long a container just started may take to install the expert jars of its deploy folder. */
    private static final Duration SETTLE_LIMIT = Duration.ofSeconds(120);

    private final List<String> rawArguments;
    private final Settings settings;

    private Elm(List<String> rawArguments, Settings settings) {
        this.rawArguments = rawArguments;
        this.settings = settings;
    }

    public static void main(String[] args) {
        int status;
        try {
            status = run(Arrays.asList(args));
        } catch (ElmException e) {
            System.err.println("elm: " + e.getMessage());
            if (e.status() == 2) {
                System.err.println(Settings.USAGE);
            }
            status = e.status();
        }
        System.exit(status);
    }

    static int run(List<String> args) throws ElmException {
        if (args.isEmpty() || List.of("help", "-h", "--help").contains(args.get(0))) {
            System.out.println(Settings.USAGE);
            return args.isEmpty() ? 2 : 0;
        }
        List<String> rest = args.subList(1, args.size());
        Elm elm = new Elm(rest, Settings.parse(rest, System.getenv(), !args.get(0).equals("exec")));
        switch (args.get(0)) {
            case "start":
                return elm.settings.daemon() ? elm.startDaemon() : elm.runContainer(Container.Console.TERMINAL);
            case "serve":
                return elm.runContainer(Container.Console.SOCKET_ONLY);
            case "exec":
                return elm.exec();
            case "stop":
                return elm.stop();
            case "data":
                return tool("data").run(elm.arguments(), elm.settings.home(), elm.settings.data(), System.out, System.err);
            case "library":
                return elm.library(rest.contains("--timeout") || System.getenv("ELM_TIMEOUT") != null);
            case "eval":
                return elm.eval(rest.contains("--timeout") || System.getenv("ELM_TIMEOUT") != null);
            default:
                throw new ElmException("unknown command '" + args.get(0) + "'; expected start, exec, stop, data, library or eval",
                        2, null);
        }
    }

    private static LauncherTool tool(String name) throws ElmException {
        try {
            return LauncherTool.find(name, Elm.class.getClassLoader());
        } catch (IllegalArgumentException e) {
            throw new ElmException(e.getMessage(), 2, null);
        }
    }

    private List<String> arguments() {
        return settings.arguments();
    }

    /** Runs a container in this process until it is stopped; {@code serve} is what {@code start --daemon} runs. */
    private int runContainer(Container.Console console) throws ElmException {
        expectNoOperands();
        settings.prepareFolders();
        Path socket = checkedSocket();
        try (WorkLock lock = lockOrExplain()) {
            Logging.init(settings);
            Container container = Container.start(settings, console, socket);
            Runtime.getRuntime().addShutdownHook(new Thread(() -> container.stop(30_000), "elm-shutdown"));
            if (console == Container.Console.TERMINAL) {
                System.err.println("ELM container started. 'help' lists the commands (ELM's are elm:*); Ctrl-D or 'stop 0' stops it.");
            }
            container.awaitStop();
            return 0;
        } catch (IOException e) {
            throw new ElmException("the work folder " + settings.work() + " could not be locked: " + e.getMessage());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return 1;
        }
    }

    /** Starts {@code serve} in a new background process and returns once its console answers. */
    private int startDaemon() throws ElmException {
        expectNoOperands();
        Path socket = checkedSocket();
        if (ConsoleClient.reachable(socket)) {
            throw new ElmException("an ELM container already runs in " + settings.work() + " (pid "
                    + pidText() + "); stop it with ./elm stop, or give this one its own --work");
        }
        settings.prepareFolders();
        Path output = settings.logs().resolve("daemon.out");
        List<String> command = new ArrayList<>();
        if (new File("/usr/bin/setsid").canExecute()) {
            command.add("/usr/bin/setsid"); // its own session: closing the terminal does not stop it
        }
        command.add(Paths.get(System.getProperty("java.home"), "bin", "java").toString());
        command.addAll(ManagementFactory.getRuntimeMXBean().getInputArguments());
        command.addAll(List.of("-cp", System.getProperty("java.class.path"), Elm.class.getName(), "serve"));
        command.addAll(rawArguments.stream().filter(a -> !a.equals("--daemon")).toList());
        Process child;
        try {
            child = new ProcessBuilder(command)
                    .redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")))
                    .redirectErrorStream(true)
                    .redirectOutput(ProcessBuilder.Redirect.appendTo(output.toFile()))
                    .start();
        } catch (IOException e) {
            throw new ElmException("cannot start the daemon process: " + e.getMessage());
        }
        long deadline = System.nanoTime() + DAEMON_START_LIMIT.toNanos();
        while (System.nanoTime() < deadline && child.isAlive() && !ConsoleClient.reachable(socket)) {
            sleep(100);
        }
        if (child.isAlive() && ConsoleClient.reachable(socket)) {
            settle(socket, SETTLE_LIMIT);
            System.out.println("ELM daemon started (pid " + child.pid() + "); console " + socket
                    + "; log " + settings.logs().resolve("elm.log"));
            return 0;
        }
        child.destroy();
        throw new ElmException("the daemon did not start within " + DAEMON_START_LIMIT.toSeconds() + " s"
                + (child.isAlive() ? "" : " (it exited)") + "; its output, from " + output + ":\n" + tail(output, 20));
    }

    private int exec() throws ElmException {
        String script = String.join(" ", arguments()).strip();
        if (script.isEmpty()) {
            throw new ElmException("exec needs the commands to run, e.g. ./elm exec 'elm:status'", 2, null);
        }
        return exec(script);
    }

    /**
     * {@code library train|plan <config> [--out folder]}: {@code elm:library} run as {@code exec} runs commands, its
     * paths made absolute from the current folder (a daemon has its own), with no time limit unless one is given.
     */
    private int library(boolean timeoutGiven) throws ElmException {
        List<String> operands = new ArrayList<>();
        StringBuilder script = new StringBuilder("elm:library");
        List<String> words = arguments();
        for (int i = 0; i < words.size(); i++) {
            switch (words.get(i)) {
                case "--json" -> script.append(" --json");
                case "--out" -> {
                    if (i + 1 >= words.size()) {
                        throw new ElmException("library: --out needs a folder", 2, null);
                    }
                    script.append(" --out ").append(consoleWord(Paths.get(words.get(++i)).toAbsolutePath().normalize().toString()));
                }
                default -> operands.add(words.get(i));
            }
        }
        if (operands.size() != 2 || !List.of("train", "plan").contains(operands.get(0))) {
            throw new ElmException("library needs an action and a configuration, e.g. ./elm library train "
                    + "configs/library/default.json [--out folder] [--json]", 2, null);
        }
        script.append(' ').append(operands.get(0)).append(' ')
                .append(consoleWord(Paths.get(operands.get(1)).toAbsolutePath().normalize().toString()));
        Elm unlimited = timeoutGiven ? this : new Elm(rawArguments, settings.withTimeout(LIBRARY_TIME_LIMIT));
        return unlimited.exec(script.toString());
    }

    /** {@code ./elm eval <config> [--quick] [--json]}: {@code elm:eval} with the configuration's absolute path. */
    private int eval(boolean timeoutGiven) throws ElmException {
        List<String> operands = new ArrayList<>();
        StringBuilder script = new StringBuilder("elm:eval");
        for (String word : arguments()) {
            switch (word) {
                case "--json", "--quick" -> script.append(' ').append(word);
                default -> operands.add(word);
            }
        }
        if (operands.size() != 1) {
            throw new ElmException("eval needs one configuration, e.g. ./elm eval configs/eval/full.json [--quick] [--json]", 2,
                    null);
        }
        script.append(' ').append(consoleWord(Paths.get(operands.get(0)).toAbsolutePath().normalize().toString()));
        Elm unlimited = timeoutGiven ? this : new Elm(rawArguments, settings.withTimeout(LIBRARY_TIME_LIMIT));
        return unlimited.exec(script.toString());
    }

    /** A path as one word of a console command: quoted, so that it may hold spaces. */
    private static String consoleWord(String path) throws ElmException {
        if (path.contains("'")) {
            throw new ElmException("library: '" + path + "' contains a single quote, which a console word cannot hold; rename it",
                    2, null);
        }
        return "'" + path + "'";
    }

    private int exec(String script) throws ElmException {
        Path socket = settings.socket();
        if (ConsoleClient.reachable(socket)) {
            return ConsoleClient.run(socket, script, settings.timeout(), System.out, System.err);
        }
        settings.prepareFolders();
        Optional<WorkLock> lock = tryLock();
        if (lock.isEmpty()) {
            // Another process holds the folder: a daemon still starting answers soon, anything else does not.
            long deadline = System.nanoTime() + Math.min(settings.timeout().toNanos(), DAEMON_START_LIMIT.toNanos());
            while (System.nanoTime() < deadline && !ConsoleClient.reachable(socket)) {
                sleep(200);
            }
            if (ConsoleClient.reachable(socket)) {
                return ConsoleClient.run(socket, script, settings.timeout(), System.out, System.err);
            }
            throw new ElmException("the work folder " + settings.work() + " is in use by another ELM process (pid "
                    + pidText() + ") that serves no console; wait for it to finish, or use another --work");
        }
        try (WorkLock held = lock.get()) {
            return execInFreshContainer(script);
        } catch (IOException e) {
            throw new ElmException("releasing the work folder " + settings.work() + " failed: " + e.getMessage());
        }
    }

    /** Starts a container for one script on a private socket, runs the script, stops the container. */
    private int execInFreshContainer(String script) throws ElmException {
        long start = System.nanoTime();
        Duration limit = settings.timeout();
        Thread watchdog = new Thread(() -> {
            sleep(limit.plusSeconds(30).toMillis());
            System.err.println("elm: the container did not finish within " + limit.plusSeconds(30).toSeconds()
                    + " s; halting it");
            Runtime.getRuntime().halt(ConsoleWire.TIMED_OUT);
        }, "elm-exec-watchdog");
        watchdog.setDaemon(true);
        watchdog.start();

        Logging.init(settings);
        // Standard output carries the commands' results only: whatever the container itself prints goes to stderr.
        PrintStream results = System.out;
        System.setOut(System.err);
        Path folder;
        try {
            folder = Files.createTempDirectory("elm-exec-");
        } catch (IOException e) {
            throw new ElmException("cannot create a private folder for the console socket: " + e.getMessage());
        }
        Path socket = folder.resolve("console.sock");
        Container container = Container.start(settings, Container.Console.SOCKET_ONLY, socket);
        // Ctrl-C stops the framework before the JVM goes: a training job is cancelled and writes its checkpoint.
        Thread stopOnExit = new Thread(() -> container.stop(30_000), "elm-exec-stop");
        Runtime.getRuntime().addShutdownHook(stopOnExit);
        try {
            while (!ConsoleClient.reachable(socket)) {
                if (System.nanoTime() - start > limit.toNanos()) {
                    throw new ElmException("the container's console did not come up within " + limit.toSeconds()
                            + " s; see " + settings.logs().resolve("elm.log"), ConsoleWire.TIMED_OUT, null);
                }
                sleep(50);
            }
            settle(socket, limit.minusNanos(System.nanoTime() - start));
            Duration left = limit.minusNanos(System.nanoTime() - start);
            return ConsoleClient.run(socket, script, left.isNegative() ? Duration.ofSeconds(1) : left, results, System.err);
        } finally {
            try {
                Runtime.getRuntime().removeShutdownHook(stopOnExit);
            } catch (IllegalStateException shuttingDown) {
                // the hook is stopping the container already
            }
            container.stop(30_000);
            deleteQuietly(folder);
        }
    }

    /**
     * Waits (at most {@link #SETTLE_LIMIT}, and at most {@code budget}) until the registry has taken up the expert
     * jars of the deploy folder, so that a container just started answers for the experts it holds. Says so on
     * standard error when it gives up; the commands that follow then see what there is.
     */
    private static void settle(Path socket, Duration budget) {
        Duration limit = budget.compareTo(SETTLE_LIMIT) < 0 ? budget : SETTLE_LIMIT;
        if (limit.toSeconds() < 1) {
            return;
        }
        PrintStream discard = new PrintStream(OutputStream.nullOutputStream());
        try {
            ConsoleClient.run(socket, "elm:list --wait " + limit.toSeconds(), limit.plusSeconds(10), discard, discard);
        } catch (ElmException e) {
            System.err.println("elm: the registry did not take up every expert jar of the deploy folder within "
                    + limit.toSeconds() + " s (" + e.getMessage() + "); elm:list shows what is installed and what is pending");
        }
    }

    private int stop() throws ElmException {
        expectNoOperands();
        Path socket = settings.socket();
        if (!ConsoleClient.reachable(socket)) {
            System.out.println("No ELM container is running in " + settings.work() + ".");
            return 0;
        }
        OptionalLong pid = WorkLock.holder(settings.work());
        ConsoleClient.stop(socket, settings.timeout());
        Optional<ProcessHandle> process = pid.isPresent() ? ProcessHandle.of(pid.getAsLong()) : Optional.empty();
        if (process.isPresent()) {
            if (!awaitExit(process.get(), settings.timeout())) {
                System.err.println("elm: the container (pid " + pid.getAsLong() + ") did not stop within "
                        + settings.timeout().toSeconds() + " s; terminating it");
                process.get().destroy();
                if (!awaitExit(process.get(), Duration.ofSeconds(10))) {
                    process.get().destroyForcibly();
                }
            }
        } else {
            long deadline = System.nanoTime() + settings.timeout().toNanos();
            while (ConsoleClient.reachable(socket) && System.nanoTime() < deadline) {
                sleep(100);
            }
        }
        System.out.println("ELM container stopped" + (pid.isPresent() ? " (pid " + pid.getAsLong() + ")" : "") + ".");
        return 0;
    }

    private Path checkedSocket() throws ElmException {
        Path socket = settings.socket();
        int length = socket.toString().getBytes(StandardCharsets.UTF_8).length;
        if (length > MAX_SOCKET_PATH) {
            throw new ElmException("the console socket " + socket + " would be " + length + " bytes long, over the "
                    + MAX_SOCKET_PATH + " a Unix socket path may have; choose a shorter --work folder");
        }
        return socket;
    }

    private WorkLock lockOrExplain() throws ElmException, IOException {
        return tryLock().orElseThrow(() -> new ElmException("another ELM container (pid " + pidText()
                + ") uses the work folder " + settings.work() + "; stop it with ./elm stop, or give this one its own --work"));
    }

    private Optional<WorkLock> tryLock() throws ElmException {
        try {
            return WorkLock.tryAcquire(settings.work());
        } catch (IOException e) {
            throw new ElmException("the work folder " + settings.work() + " could not be locked: " + e.getMessage());
        }
    }

    private String pidText() {
        OptionalLong pid = WorkLock.holder(settings.work());
        return pid.isPresent() ? Long.toString(pid.getAsLong()) : "unknown";
    }

    private void expectNoOperands() throws ElmException {
        if (!arguments().isEmpty()) {
            throw new ElmException("unexpected argument '" + arguments().get(0) + "'", 2, null);
        }
    }

    private static boolean awaitExit(ProcessHandle process, Duration limit) {
        try {
            process.onExit().get(limit.toMillis(), TimeUnit.MILLISECONDS);
            return true;
        } catch (TimeoutException e) {
            return false;
        } catch (ExecutionException e) {
            return !process.isAlive();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        }
    }

    private static String tail(Path file, int lines) {
        try {
            List<String> all = Files.readAllLines(file, StandardCharsets.UTF_8);
            return String.join("\n", all.subList(Math.max(0, all.size() - lines), all.size()));
        } catch (IOException e) {
            return "(unreadable: " + e.getMessage() + ")";
        }
    }

    private static void deleteQuietly(Path folder) {
        try (Stream<Path> paths = Files.walk(folder)) {
            paths.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        } catch (IOException e) {
            // a temporary folder left behind is harmless
        }
    }

    private static void sleep(long millis) {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}

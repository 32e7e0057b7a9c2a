package org.expertlm.bench;

import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.File;
import java.io.IOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.Channels;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.jar.JarEntry;
import java.util.jar.JarFile;
import java.util.jar.JarOutputStream;
import java.util.jar.Manifest;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import org.expertlm.launch.ConsoleWire;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;

/**
 * The registry at scale: {@code count} expert bundles, clones of one trained expert jar under new ids (the same
 * tensors and library, so each is validated in full), in the deploy folder of a daemon of the built distribution.
 * Prints the time until the console answers and until every expert is installed, cold (empty framework storage)
 * and warm (a restart), the daemon's memory (heap used after a collection, and the process's resident set, from
 * Native Memory Tracking and /proc), {@code elm:list} latency, and the time from a jar landing in the deploy folder
 * to its {@code Expert} service (p50, p95), against the targets. Requests go over the console socket from this
 * process, so no JVM start is timed.
 *
 * <p>{@code RegistryBench <elm script> <expert jar> [count] [deploys]}
 */
public final class RegistryBench {

    private static final ObjectMapper JSON = new ObjectMapper();

    private final Path elm;
    private final Path root;
    private final Path work;
    private final Path deploy;

    private RegistryBench(Path elm, Path root) {
        this.elm = elm;
        this.root = root;
        this.work = root.resolve("work");
        this.deploy = root.resolve("deploy");
    }

    public static void main(String[] args) throws Exception {
        if (args.length < 2) {
            System.err.println("usage: RegistryBench <elm script> <expert jar> [count, default 1000] [deploys, default 40]");
            System.exit(2);
        }
        Path elm = Path.of(args[0]).toAbsolutePath();
        Path jar = Path.of(args[1]).toAbsolutePath();
        int count = args.length > 2 ? Integer.parseInt(args[2]) : 1000;
        int deploys = args.length > 3 ? Integer.parseInt(args[3]) : 40;
        RegistryBench bench = new RegistryBench(elm, Files.createTempDirectory("elm-registry-bench-"));
        try {
            bench.run(jar, count, deploys);
        } finally {
            bench.stopDaemon();
        }
    }

    private void run(Path jar, int count, int deploys) throws Exception {
        Files.createDirectories(deploy);
        Path staging = Files.createDirectories(root.resolve("staging"));
        String original;
        try (JarFile file = new JarFile(jar.toFile())) {
            original = file.getManifest().getMainAttributes().getValue("Bundle-SymbolicName");
        }
        long made = System.nanoTime();
        for (int i = 0; i < count; i++) {
            clone(jar, original, id(i), deploy);
        }
        System.out.printf("%d clones of %s (%d bytes each) written in %.1f s; folder %s%n", count, original, Files.size(jar),
                seconds(made), root);

        Timing cold = start(count, "cold");
        double[] memory = memory();
        stopDaemon();
        Timing warm = start(count, "warm");

        List<Double> list = new ArrayList<>();
        for (int i = 0; i < 20; i++) {
            long t = System.nanoTime();
            JsonNode listed = console("elm:list --json");
            list.add(seconds(t) * 1000);
            if (listed.path("experts").size() != count) {
                throw new IllegalStateException("elm:list shows " + listed.path("experts").size() + " bundles, not " + count);
            }
        }

        List<Double> landing = new ArrayList<>();
        for (int i = 0; i < deploys; i++) {
            String id = id(count + i);
            Path staged = clone(jar, original, id, staging);
            long landed = System.nanoTime();
            Files.move(staged, deploy.resolve(staged.getFileName()), StandardCopyOption.ATOMIC_MOVE);
            while (!installed(id)) {
                if (seconds(landed) > 30) {
                    throw new IllegalStateException(id + " was not installed within 30 s of landing");
                }
                Thread.sleep(5);
            }
            landing.add(seconds(landed) * 1000);
        }

        System.out.printf("machine: %s, %d cores%n", cpu(), Runtime.getRuntime().availableProcessors());
        System.out.printf("start, cold (empty framework storage): console after %.1f s, all %d installed after %.1f s%n",
                cold.console, count, cold.installed);
        System.out.printf("start, warm (restart):                  console after %.1f s, all %d installed after %.1f s"
                + "   (target: start <= 30 s)%n", warm.console, count, warm.installed);
        System.out.printf("memory with %d experts installed: heap used %.0f MiB (committed %.0f MiB), NMT committed %.0f MiB, "
                + "resident %.0f MiB   (target <= 4096 MiB)%n", count, memory[0], memory[1], memory[2], memory[3]);
        System.out.printf("elm:list --json over the console (%d bundles): p50 %.0f ms, p95 %.0f ms%n", count,
                percentile(list, 50), percentile(list, 95));
        System.out.printf("jar landing -> Expert service installed (%d jars, one at a time, deploy folder polled every %s ms): "
                + "p50 %.0f ms, p95 %.0f ms, max %.0f ms   (target: p95 <= 1000 ms)%n", deploys,
                System.getenv().getOrDefault("ELM_POLL_MS", "200 (the default)"), percentile(landing, 50),
                percentile(landing, 95), Collections.max(landing));
    }

    private record Timing(double console, double installed) {
    }

    /** Starts the daemon and times its console and the installation of {@code count} experts. */
    private Timing start(int count, String how) throws Exception {
        long start = System.nanoTime();
        Process p = elm("start", "--daemon");
        if (p.waitFor() != 0) {
            throw new IllegalStateException("the daemon did not start: " + new String(p.getInputStream().readAllBytes()));
        }
        double console = seconds(start);
        while (true) {
            JsonNode listed = console("elm:list --json --state installed");
            int installed = listed.path("experts").size();
            if (installed >= count) {
                break;
            }
            if (seconds(start) > 600) {
                throw new IllegalStateException(how + " start: only " + installed + " of " + count + " installed after 600 s");
            }
            Thread.sleep(250);
        }
        return new Timing(console, seconds(start));
    }

    private boolean installed(String id) throws IOException {
        Reply r = exchange("elm:info --json " + id);
        return r.status == 0 && JSON.readTree(r.out).path("bundle").path("state").asText().equals("installed");
    }

    /** Heap used after a collection, heap committed, NMT's committed total, resident set: MiB. */
    private double[] memory() throws Exception {
        long pid = Long.parseLong(Files.readString(work.resolve("elm.pid")).trim());
        run("jcmd", Long.toString(pid), "GC.run");
        String heap = run("jcmd", Long.toString(pid), "GC.heap_info");
        Matcher used = Pattern.compile("total (\\d+)K, used (\\d+)K").matcher(heap);
        double heapUsed = 0;
        double heapCommitted = 0;
        while (used.find()) {
            heapCommitted += Long.parseLong(used.group(1)) / 1024.0;
            heapUsed += Long.parseLong(used.group(2)) / 1024.0;
        }
        String nmt = run("jcmd", Long.toString(pid), "VM.native_memory", "summary");
        Matcher total = Pattern.compile("Total: reserved=(\\d+)KB, committed=(\\d+)KB").matcher(nmt);
        double committed = total.find() ? Long.parseLong(total.group(2)) / 1024.0 : Double.NaN;
        Matcher rss = Pattern.compile("VmRSS:\\s+(\\d+) kB").matcher(Files.readString(Path.of("/proc/" + pid + "/status")));
        return new double[] {heapUsed, heapCommitted, committed, rss.find() ? Long.parseLong(rss.group(1)) / 1024.0 : Double.NaN};
    }

    /** The jar under another id: symbolic name, capability and description. */
    private static Path clone(Path jar, String from, String to, Path folder) throws IOException {
        Path out = folder.resolve(to + "-1.0.0.jar");
        try (JarFile in = new JarFile(jar.toFile());
                JarOutputStream target = new JarOutputStream(Files.newOutputStream(out), rename(in.getManifest(), from, to))) {
            for (JarEntry e : Collections.list(in.entries())) {
                if (e.getName().equals(JarFile.MANIFEST_NAME)) {
                    continue;
                }
                byte[] bytes = in.getInputStream(e).readAllBytes();
                if (e.getName().equals("expert.json")) {
                    ObjectNode description = (ObjectNode) JSON.readTree(bytes);
                    bytes = JSON.writeValueAsBytes(description.put("id", to));
                }
                target.putNextEntry(new JarEntry(e.getName()));
                target.write(bytes);
                target.closeEntry();
            }
        }
        return out;
    }

    private static Manifest rename(Manifest manifest, String from, String to) {
        Manifest copy = new Manifest(manifest);
        copy.getMainAttributes().putValue("Bundle-SymbolicName", to);
        String capability = copy.getMainAttributes().getValue("Provide-Capability");
        copy.getMainAttributes().putValue("Provide-Capability", capability.replace("\"" + from + "\"", "\"" + to + "\""));
        return copy;
    }

    private static String id(int i) {
        return String.format("bench.expert-%04d", i);
    }

    private JsonNode console(String script) throws IOException {
        Reply r = exchange(script);
        if (r.status != 0) {
            throw new IllegalStateException(script + " failed (" + r.status + "): " + r.err);
        }
        return JSON.readTree(r.out);
    }

    private record Reply(int status, String out, String err) {
    }

    /** One request on the daemon's console socket, as {@code ./elm exec} sends it. */
    private Reply exchange(String script) throws IOException {
        byte[] text = script.getBytes(StandardCharsets.UTF_8);
        ByteBuffer payload = ByteBuffer.allocate(Long.BYTES + text.length).putLong(60_000).put(text);
        try (SocketChannel channel = SocketChannel.open(StandardProtocolFamily.UNIX)) {
            channel.connect(UnixDomainSocketAddress.of(work.resolve("run").resolve("console.sock")));
            ConsoleWire.write(new DataOutputStream(Channels.newOutputStream(channel)), ConsoleWire.RUN, payload.array());
            DataInputStream in = new DataInputStream(Channels.newInputStream(channel));
            ByteArrayOutputStream out = new ByteArrayOutputStream();
            ByteArrayOutputStream err = new ByteArrayOutputStream();
            for (ConsoleWire.Frame f = ConsoleWire.read(in); f != null; f = ConsoleWire.read(in)) {
                switch (f.type()) {
                    case ConsoleWire.OUT -> out.write(f.payload());
                    case ConsoleWire.ERR -> err.write(f.payload());
                    case ConsoleWire.EXIT -> {
                        return new Reply(ConsoleWire.exitStatus(f), out.toString(StandardCharsets.UTF_8),
                                err.toString(StandardCharsets.UTF_8));
                    }
                    default -> throw new IOException("unknown console frame " + f.type());
                }
            }
            throw new IOException("the console closed without an exit status");
        }
    }

    private Process elm(String... args) throws IOException {
        List<String> command = new ArrayList<>(List.of(elm.toString()));
        command.addAll(Arrays.asList(args));
        command.addAll(List.of("--work", work.toString(), "--deploy", deploy.toString()));
        ProcessBuilder builder = new ProcessBuilder(command).redirectErrorStream(true)
                .redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")));
        Map<String, String> env = builder.environment();
        env.put("ELM_JAVA_OPTS", (env.getOrDefault("ELM_JAVA_OPTS", "") + " -XX:NativeMemoryTracking=summary").strip());
        return builder.start();
    }

    private void stopDaemon() throws Exception {
        elm("stop").waitFor(120, TimeUnit.SECONDS);
    }

    private static String run(String... command) throws Exception {
        Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (p.waitFor() != 0) {
            throw new IllegalStateException(String.join(" ", command) + " failed: " + out);
        }
        return out;
    }

    private static String cpu() throws IOException {
        return Files.readAllLines(Path.of("/proc/cpuinfo")).stream().filter(l -> l.startsWith("model name")).findFirst()
                .map(l -> l.substring(l.indexOf(':') + 1).strip()).orElse("unknown");
    }

    private static double percentile(List<Double> values, int p) {
        List<Double> sorted = new ArrayList<>(values);
        Collections.sort(sorted);
        return sorted.get(Math.min(sorted.size() - 1, (int) Math.ceil(p / 100.0 * sorted.size()) - 1));
    }

    private static double seconds(long since) {
        return (System.nanoTime() - since) / 1e9;
    }
}

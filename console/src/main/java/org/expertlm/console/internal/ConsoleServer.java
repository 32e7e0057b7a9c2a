package org.expertlm.console.internal;

import java.io.ByteArrayInputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.Channels;
import java.nio.channels.ClosedChannelException;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;

import org.apache.felix.service.command.CommandProcessor;
import org.expertlm.api.ContainerProperties;
import org.expertlm.launch.ConsoleWire;
import org.expertlm.launch.ConsoleWire.Frame;
import org.osgi.framework.Bundle;
import org.osgi.framework.BundleContext;
import org.osgi.framework.BundleException;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Deactivate;
import org.osgi.service.component.annotations.Reference;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Serves the Gogo console on a local Unix domain socket, for {@code elm exec} and {@code elm stop}.
 *
 * <p>It listens only when the launcher names a socket in the framework property
 * {@link ContainerProperties#CONSOLE_SOCKET}: no network port is ever opened. The socket sits in a folder only its
 * owner may enter and is itself readable and writable by its owner only (0600). Each connection
 * carries one request (see {@link ConsoleWire}); a script that runs past its timeout is interrupted
 * and answered with status {@value ConsoleWire#TIMED_OUT}.
 */
@Component(immediate = true)
public final class ConsoleServer {

    private static final Logger LOG = LoggerFactory.getLogger(ConsoleServer.class);

    @Reference
    private CommandProcessor processor;

    private BundleContext context;
    private Path socket;
    private ServerSocketChannel server;
    private ExecutorService connections;
    private ScheduledExecutorService watchdog;

    @Activate
    void activate(BundleContext context) throws IOException {
        this.context = context;
        String path = context.getProperty(ContainerProperties.CONSOLE_SOCKET);
        if (path == null || path.isBlank()) {
            return;
        }
        socket = Paths.get(path).toAbsolutePath();
        Path folder = socket.getParent();
        Files.createDirectories(folder);
        Files.setPosixFilePermissions(folder, PosixFilePermissions.fromString("rwx------"));
        Files.deleteIfExists(socket);
        server = ServerSocketChannel.open(StandardProtocolFamily.UNIX);
        server.bind(UnixDomainSocketAddress.of(socket));
        Files.setPosixFilePermissions(socket, PosixFilePermissions.fromString("rw-------"));

        AtomicInteger count = new AtomicInteger();
        connections = Executors.newCachedThreadPool(r -> daemon(r, "elm-console-" + count.incrementAndGet()));
        watchdog = Executors.newSingleThreadScheduledExecutor(r -> daemon(r, "elm-console-watchdog"));
        Thread acceptor = daemon(this::accept, "elm-console-acceptor");
        acceptor.start();
        LOG.info("Console listening on {}", socket);
    }

    @Deactivate
    void deactivate() throws IOException {
        if (server == null) {
            return;
        }
        server.close();
        connections.shutdownNow();
        watchdog.shutdownNow();
        Files.deleteIfExists(socket);
        LOG.info("Console on {} closed", socket);
    }

    private void accept() {
        while (server.isOpen()) {
            try {
                SocketChannel channel = server.accept();
                connections.execute(() -> serve(channel));
            } catch (ClosedChannelException e) {
                return;
            } catch (IOException | RuntimeException e) {
                LOG.warn("Console socket {}: accepting a connection failed", socket, e);
            }
        }
    }

    private void serve(SocketChannel channel) {
        try (channel; FrameSender sender = new FrameSender(
                new DataOutputStream(Channels.newOutputStream(channel)), Thread.currentThread().getName() + "-writer")) {
            Frame request = ConsoleWire.read(new DataInputStream(Channels.newInputStream(channel)));
            if (request == null) {
                return;
            }
            if (request.type() == ConsoleWire.STOP) {
                sender.exit(0); // answer first: stopping the framework closes this socket
                stopContainer();
                return;
            }
            int status;
            if (request.type() == ConsoleWire.RUN) {
                status = run(request.payload(), sender, channel);
            } else {
                PrintStream err = ScriptRunner.print(sender.stream(ConsoleWire.ERR));
                err.println("elm: unknown console request '" + (char) request.type() + "'; expected a script or stop");
                status = 2;
            }
            sender.exit(status);
        } catch (IOException e) {
            LOG.debug("Console client went away", e);
        }
    }

    private int run(byte[] payload, FrameSender sender, SocketChannel channel) {
        ByteBuffer request = ByteBuffer.wrap(payload);
        long timeoutMillis = request.getLong();
        String script = StandardCharsets.UTF_8.decode(request).toString();
        PrintStream stdout = ScriptRunner.print(sender.stream(ConsoleWire.OUT));
        PrintStream stderr = ScriptRunner.print(sender.stream(ConsoleWire.ERR));
        Thread worker = Thread.currentThread();
        AtomicBoolean timedOut = new AtomicBoolean();
        AtomicBoolean finished = new AtomicBoolean();
        ScheduledFuture<?> alarm = watchdog.schedule(() -> {
            timedOut.set(true);
            worker.interrupt();
        }, timeoutMillis, TimeUnit.MILLISECONDS);
        // A client sends nothing after its request: end of stream means it went away (Ctrl-C, killed), and a
        // command that waits for long work (a training job) is interrupted as on a timeout, so that it stops.
        connections.execute(() -> {
            String gone;
            try {
                gone = channel.read(ByteBuffer.allocate(1)) < 0 ? "went away" : null;
            } catch (IOException e) {
                // A client killed with output still unread resets the connection instead of closing it; after the
                // command's end, this is the channel being closed.
                gone = "reset the connection (" + e.getMessage() + ")";
            }
            if (gone != null && !finished.get()) {
                LOG.info("Console client {}; interrupting: {}", gone, script.strip());
                worker.interrupt();
            }
        });
        LOG.info("Console runs: {}", script.strip());
        int status = awaitFrameworkStarted()
                ? new ScriptRunner(processor).run(script, new ByteArrayInputStream(new byte[0]), stdout, stderr)
                : ConsoleWire.TIMED_OUT;
        finished.set(true);
        alarm.cancel(false);
        Thread.interrupted();
        if (timedOut.get()) {
            stderr.println("elm: timed out after " + timeoutMillis + " ms; the command was interrupted");
            return ConsoleWire.TIMED_OUT;
        }
        return status;
    }

    /**
     * Waits until the framework has started every bundle: the socket opens as soon as Gogo's command
     * processor exists, but the shell's built-in commands (echo and the like) start last, and on a
     * loaded machine a script could arrive before them. Returns false if the wait was interrupted
     * (the request's timeout).
     */
    private boolean awaitFrameworkStarted() {
        Bundle system = context.getBundle(0);
        while (system.getState() == Bundle.STARTING) {
            try {
                Thread.sleep(20);
            } catch (InterruptedException e) {
                return false;
            }
        }
        return true;
    }

    private void stopContainer() {
        LOG.info("Console asked the container to stop");
        // Another thread stops the framework, since stopping deactivates this component and its threads.
        Thread stopper = daemon(() -> {
            try {
                context.getBundle(0).stop();
            } catch (BundleException | IllegalStateException e) {
                LOG.error("Stopping the container failed", e);
            }
        }, "elm-console-stop");
        stopper.start();
    }

    private static Thread daemon(Runnable r, String name) {
        Thread t = new Thread(r, name);
        t.setDaemon(true);
        return t;
    }
}

package org.expertlm.runtime;

import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.Channels;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Timer;
import java.util.TimerTask;
import java.util.concurrent.atomic.AtomicBoolean;

import org.expertlm.launch.ConsoleWire;
import org.expertlm.launch.ConsoleWire.Frame;

/** The client side of the console socket: sends one request and relays the answer. */
final class ConsoleClient {

    /** Time the daemon gets beyond the script's own timeout to report it, before the client gives up. */
    private static final Duration GRACE = Duration.ofSeconds(5);

    private ConsoleClient() {
    }

    /** True when a container answers on {@code socket}. */
    static boolean reachable(Path socket) {
        if (!Files.exists(socket)) {
            return false;
        }
        try (SocketChannel ignored = SocketChannel.open(UnixDomainSocketAddress.of(socket))) {
            return true;
        } catch (IOException e) {
            return false;
        }
    }

    /** Runs {@code script} in the container on {@code socket}; returns the script's exit status. */
    static int run(Path socket, String script, Duration timeout, PrintStream out, PrintStream err) throws ElmException {
        byte[] text = script.getBytes(StandardCharsets.UTF_8);
        ByteBuffer payload = ByteBuffer.allocate(Long.BYTES + text.length).putLong(timeout.toMillis()).put(text);
        return exchange(socket, ConsoleWire.RUN, payload.array(), timeout.plus(GRACE), out, err);
    }

    /** Asks the container on {@code socket} to stop; returns once it has accepted. */
    static void stop(Path socket, Duration timeout) throws ElmException {
        exchange(socket, ConsoleWire.STOP, new byte[0], timeout, System.out, System.err);
    }

    private static int exchange(Path socket, byte type, byte[] payload, Duration limit, PrintStream out, PrintStream err)
            throws ElmException {
        AtomicBoolean expired = new AtomicBoolean();
        Timer timer = new Timer("elm-client-timeout", true);
        try (SocketChannel channel = SocketChannel.open(StandardProtocolFamily.UNIX)) {
            channel.connect(UnixDomainSocketAddress.of(socket));
            timer.schedule(new TimerTask() {
                @Override
                public void run() {
                    expired.set(true);
                    try {
                        channel.close();
                    } catch (IOException e) {
                        // closing is what ends the blocked read; nothing more to do
                    }
                }
            }, limit.toMillis());
            DataOutputStream request = new DataOutputStream(Channels.newOutputStream(channel));
            ConsoleWire.write(request, type, payload);
            DataInputStream in = new DataInputStream(Channels.newInputStream(channel));
            for (Frame frame = ConsoleWire.read(in); frame != null; frame = ConsoleWire.read(in)) {
                switch (frame.type()) {
                    case ConsoleWire.OUT -> out.write(frame.payload());
                    case ConsoleWire.ERR -> err.write(frame.payload());
                    case ConsoleWire.EXIT -> {
                        out.flush();
                        err.flush();
                        return ConsoleWire.exitStatus(frame);
                    }
                    default -> throw new ElmException("the container sent an unknown console frame '" + (char) frame.type()
                            + "'; is the launcher the same version as the running container?");
                }
            }
            throw new ElmException("the container closed the console without an exit status; see its log");
        } catch (IOException e) {
            if (expired.get()) {
                throw new ElmException("no answer from the container within " + limit.toSeconds()
                        + " s; raise --timeout, or look at the container's log", ConsoleWire.TIMED_OUT, e);
            }
            throw new ElmException("the console connection to " + socket + " failed: " + e.getMessage(), 1, e);
        } finally {
            timer.cancel();
        }
    }
}

package org.expertlm.console.internal;

import java.io.DataOutputStream;
import java.io.IOException;
import java.io.InterruptedIOException;
import java.io.OutputStream;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

import org.expertlm.launch.ConsoleWire;

/**
 * Sends a connection's frames from one writer thread of its own.
 *
 * <p>A script that runs past its timeout is stopped by interrupting its thread, and an interrupted
 * thread that touches an NIO channel closes it. Only the writer thread touches the socket, so the
 * interrupt stops the script and the connection still carries the rest of the answer.
 */
final class FrameSender implements AutoCloseable {

    private final DataOutputStream socket;
    private final ExecutorService writer;

    FrameSender(DataOutputStream socket, String name) {
        this.socket = socket;
        this.writer = Executors.newSingleThreadExecutor(r -> {
            Thread t = new Thread(r, name);
            t.setDaemon(true);
            return t;
        });
    }

    /** A stream whose bytes go out as frames of {@code type}, in the order written. */
    OutputStream stream(byte type) {
        return new OutputStream() {
            @Override
            public void write(int b) throws IOException {
                write(new byte[] {(byte) b}, 0, 1);
            }

            @Override
            public void write(byte[] b, int off, int len) throws IOException {
                if (len > 0) {
                    byte[] chunk = new byte[len];
                    System.arraycopy(b, off, chunk, 0, len);
                    send(type, chunk);
                }
            }
        };
    }

    /** Sends the closing exit frame and waits until it is written, whatever the caller's interrupt state. */
    void exit(int status) throws IOException {
        boolean interrupted = Thread.interrupted();
        try {
            Future<?> done = writer.submit(() -> {
                ConsoleWire.writeExit(socket, status);
                return null;
            });
            while (true) {
                try {
                    done.get();
                    return;
                } catch (InterruptedException e) {
                    interrupted = true;
                }
            }
        } catch (ExecutionException e) {
            throw new IOException("writing the exit status failed", e.getCause());
        } finally {
            if (interrupted) {
                Thread.currentThread().interrupt();
            }
        }
    }

    private void send(byte type, byte[] payload) throws IOException {
        Future<?> done = writer.submit(() -> {
            ConsoleWire.write(socket, type, payload);
            return null;
        });
        try {
            done.get();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt(); // the frame is queued and still goes out
            throw new InterruptedIOException("interrupted while sending console output");
        } catch (ExecutionException e) {
            throw new IOException("the console client went away", e.getCause());
        }
    }

    @Override
    public void close() {
        writer.shutdown();
    }
}

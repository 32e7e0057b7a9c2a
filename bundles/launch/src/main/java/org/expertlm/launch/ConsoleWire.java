package org.expertlm.launch;

import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.EOFException;
import java.io.IOException;

/**
 * Frames exchanged over the console socket: one type byte, a 4-byte big-endian length, the payload.
 *
 * <p>A client sends one request, {@link #RUN} (an 8-byte timeout in milliseconds, then the Gogo
 * script in UTF-8) or {@link #STOP}. The daemon answers with any number of {@link #OUT} and
 * {@link #ERR} frames, as the commands print, and ends with one {@link #EXIT} frame holding the exit
 * status as 4 bytes. Frames are self-delimiting, so output can stream while a command runs.
 */
public final class ConsoleWire {

    /** Request: run a Gogo script. */
    public static final byte RUN = 'R';
    /** Request: stop the container. */
    public static final byte STOP = 'S';
    /** Reply: bytes the commands wrote to standard output. */
    public static final byte OUT = 'O';
    /** Reply: bytes the commands wrote to standard error. */
    public static final byte ERR = 'E';
    /** Reply, always last: the exit status. */
    public static final byte EXIT = 'X';

    /** Exit status when the script did not finish in time (as timeout(1) reports). */
    public static final int TIMED_OUT = 124;

    /** The largest frame accepted, so that a confused peer cannot make us allocate without bound. */
    public static final int MAX_FRAME = 16 << 20;

    private ConsoleWire() {
    }

    /** A frame read from the socket. */
    public record Frame(byte type, byte[] payload) {
    }

    /** Writes one frame and flushes it. Callers that share a stream synchronise on it. */
    public static void write(DataOutputStream out, byte type, byte[] payload) throws IOException {
        out.writeByte(type);
        out.writeInt(payload.length);
        out.write(payload);
        out.flush();
    }

    /** Writes the closing {@link #EXIT} frame. */
    public static void writeExit(DataOutputStream out, int status) throws IOException {
        write(out, EXIT, new byte[] {(byte) (status >>> 24), (byte) (status >>> 16), (byte) (status >>> 8), (byte) status});
    }

    /** Reads one frame; {@code null} at a clean end of stream. */
    public static Frame read(DataInputStream in) throws IOException {
        int type = in.read();
        if (type < 0) {
            return null;
        }
        int length = in.readInt();
        if (length < 0 || length > MAX_FRAME) {
            throw new IOException("console frame of " + length + " bytes refused; at most " + MAX_FRAME + " are accepted");
        }
        byte[] payload = new byte[length];
        try {
            in.readFully(payload);
        } catch (EOFException e) {
            throw new IOException("console connection closed in the middle of a frame", e);
        }
        return new Frame((byte) type, payload);
    }

    /** The exit status carried by an {@link #EXIT} frame. */
    public static int exitStatus(Frame frame) {
        byte[] p = frame.payload();
        if (frame.type() != EXIT || p.length != 4) {
            throw new IllegalArgumentException("not an exit frame: type " + (char) frame.type() + ", " + p.length + " bytes");
        }
        return ((p[0] & 0xff) << 24) | ((p[1] & 0xff) << 16) | ((p[2] & 0xff) << 8) | (p[3] & 0xff);
    }
}

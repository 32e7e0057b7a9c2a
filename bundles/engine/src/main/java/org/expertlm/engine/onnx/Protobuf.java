package org.expertlm.engine.onnx;

import java.io.IOException;
import java.nio.charset.StandardCharsets;

/**
 * Just enough of the protobuf wire format to walk an ONNX model: fields are read one at a time as
 * (number, wire type, value); length-delimited values come back as sub-readers over the same bytes.
 */
final class Protobuf {

    static final int VARINT = 0;
    static final int FIXED64 = 1;
    static final int LENGTH_DELIMITED = 2;
    static final int FIXED32 = 5;

    private final byte[] bytes;
    private int position;
    private final int end;
    private int field;
    private int wireType;

    Protobuf(byte[] bytes) {
        this(bytes, 0, bytes.length);
    }

    private Protobuf(byte[] bytes, int start, int end) {
        this.bytes = bytes;
        this.position = start;
        this.end = end;
    }

    /** Moves to the next field; false at the end of this message. */
    boolean next() throws IOException {
        if (position >= end) {
            return false;
        }
        long key = varint();
        field = (int) (key >>> 3);
        wireType = (int) (key & 7);
        return true;
    }

    boolean hasRemaining() {
        return position < end;
    }

    int field() {
        return field;
    }

    int wireType() {
        return wireType;
    }

    long varint() throws IOException {
        long value = 0;
        for (int shift = 0; shift < 64; shift += 7) {
            if (position >= end) {
                throw new IOException("protobuf varint runs past the end of its message at byte " + position);
            }
            byte b = bytes[position++];
            value |= (long) (b & 0x7f) << shift;
            if ((b & 0x80) == 0) {
                return value;
            }
        }
        throw new IOException("protobuf varint longer than 10 bytes at byte " + position);
    }

    /** The current length-delimited value as a reader of its own. */
    Protobuf message() throws IOException {
        int length = length();
        Protobuf sub = new Protobuf(bytes, position, position + length);
        position += length;
        return sub;
    }

    String string() throws IOException {
        int length = length();
        String s = new String(bytes, position, length, StandardCharsets.UTF_8);
        position += length;
        return s;
    }

    /** The offset and length of the current length-delimited value, without copying it. */
    int[] slice() throws IOException {
        int length = length();
        int[] slice = {position, length};
        position += length;
        return slice;
    }

    byte[] bytes() {
        return bytes;
    }

    /** Skips the current field's value. */
    void skip() throws IOException {
        switch (wireType) {
            case VARINT -> varint();
            case FIXED64 -> position += 8;
            case LENGTH_DELIMITED -> {
                int length = length(); // read first: position moves past the length itself
                position += length;
            }
            case FIXED32 -> position += 4;
            default -> throw new IOException("protobuf wire type " + wireType + " of field " + field
                    + " is not supported (groups are not used by ONNX)");
        }
        if (position > end) {
            throw new IOException("protobuf field " + field + " runs past the end of its message");
        }
    }

    private int length() throws IOException {
        long length = varint();
        if (length < 0 || position + length > end) {
            throw new IOException("protobuf length " + length + " at byte " + position + " runs past the end of its message");
        }
        return (int) length;
    }
}

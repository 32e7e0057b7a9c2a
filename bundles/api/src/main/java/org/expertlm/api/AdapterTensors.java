package org.expertlm.api;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;
import java.nio.charset.StandardCharsets;
import java.security.DigestOutputStream;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Arrays;
import java.util.Collections;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.SortedMap;
import java.util.TreeMap;

/**
 * Named float tensors as data: an expert's adapter (or a full-decoder fine-tune's decoder), a base
 * model's decoder, a checkpoint. Immutable; ordered by name. Read from and written to the
 * safetensors format (F32 only) through streams, so that a file, a jar entry or a socket can be the
 * source: an 8-byte little-endian header length, a JSON header naming each tensor's dtype, shape and
 * byte range, an optional {@code __metadata__} object of strings, then the raw little-endian data.
 *
 * <pre>{@code
 * AdapterTensors t = AdapterTensors.builder().put("w", new long[] {2, 2}, new float[] {1, 0, 0, 1}).build();
 * try (OutputStream out = Files.newOutputStream(file)) { t.write(out); }
 * AdapterTensors back = AdapterTensors.read(Files.newInputStream(file), file.toString());   // equals t
 * }</pre>
 */
public final class AdapterTensors {

    private static final long MAX_HEADER = 100L << 20;
    private static final String METADATA = "__metadata__";

    private final SortedMap<String, long[]> shapes;
    private final SortedMap<String, float[]> values;
    private final Map<String, String> metadata;
    private volatile String sha256;

    private AdapterTensors(SortedMap<String, long[]> shapes, SortedMap<String, float[]> values, Map<String, String> metadata) {
        this.shapes = shapes;
        this.values = values;
        this.metadata = Collections.unmodifiableMap(metadata);
    }

    /** A builder of tensors; each {@code put} copies its arrays. */
    public static Builder builder() {
        return new Builder();
    }

    /** The tensors' names, sorted. */
    public Set<String> names() {
        return Collections.unmodifiableSet(shapes.keySet());
    }

    /** True when a tensor has that name. */
    public boolean contains(String name) {
        return shapes.containsKey(name);
    }

    /** A copy of the named tensor's shape. */
    public long[] shape(String name) {
        return shapes.get(known(name)).clone();
    }

    /** A copy of the named tensor's values, row-major. */
    public float[] values(String name) {
        return values.get(known(name)).clone();
    }

    /** A read-only view of the named tensor's values, row-major, without a copy. */
    public FloatBuffer buffer(String name) {
        return FloatBuffer.wrap(values.get(known(name))).asReadOnlyBuffer();
    }

    /** The file's metadata (strings). */
    public Map<String, String> metadata() {
        return metadata;
    }

    /** The number of values in all tensors. */
    public long count() {
        return values.values().stream().mapToLong(v -> v.length).sum();
    }

    /** The bytes the values take (4 per value). */
    public long bytes() {
        return 4 * count();
    }

    /** The SHA-256 (hex) of these tensors as {@link #write} writes them: names, shapes, values and metadata. */
    public String sha256() {
        String s = sha256;
        if (s == null) {
            MessageDigest digest = sha256Digest();
            try (OutputStream out = new DigestOutputStream(OutputStream.nullOutputStream(), digest)) {
                write(out);
            } catch (IOException e) {
                throw new IllegalStateException("digesting tensors in memory failed", e);
            }
            s = HexFormat.of().formatHex(digest.digest());
            sha256 = s;
        }
        return s;
    }

    /** Writes the tensors in the safetensors format, names sorted, data 8-byte aligned. */
    public void write(OutputStream out) throws IOException {
        StringBuilder header = new StringBuilder("{");
        if (!metadata.isEmpty()) {
            header.append(quote(METADATA)).append(":{");
            String separator = "";
            for (Map.Entry<String, String> e : new TreeMap<>(metadata).entrySet()) {
                header.append(separator).append(quote(e.getKey())).append(':').append(quote(e.getValue()));
                separator = ",";
            }
            header.append('}');
        }
        long offset = 0;
        for (Map.Entry<String, long[]> e : shapes.entrySet()) {
            if (header.length() > 1) {
                header.append(',');
            }
            long bytes = 4L * values.get(e.getKey()).length;
            header.append(quote(e.getKey())).append(":{\"dtype\":\"F32\",\"shape\":[");
            for (int i = 0; i < e.getValue().length; i++) {
                header.append(i == 0 ? "" : ",").append(e.getValue()[i]);
            }
            header.append("],\"data_offsets\":[").append(offset).append(',').append(offset + bytes).append("]}");
            offset += bytes;
        }
        header.append('}');
        byte[] json = header.toString().getBytes(StandardCharsets.UTF_8);
        int padding = (8 - json.length % 8) % 8; // keeps the data 8-byte aligned, as the reference writer does
        byte[] padded = Arrays.copyOf(json, json.length + padding);
        Arrays.fill(padded, json.length, padded.length, (byte) ' ');
        out.write(ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putLong(padded.length).array());
        out.write(padded);
        for (float[] v : values.values()) {
            ByteBuffer data = ByteBuffer.allocate(4 * v.length).order(ByteOrder.LITTLE_ENDIAN);
            data.asFloatBuffer().put(v);
            out.write(data.array());
        }
    }

    /**
     * Reads tensors in the safetensors format from {@code in} (read to its end, not closed).
     *
     * @param source names the stream in messages (a file, {@code bundle!/adapter.safetensors}, …)
     * @throws ModelFormatException when the bytes are not such a file — truncated, a header that is not
     *     such JSON, a dtype other than F32, offsets out of range, overlapping or leaving holes, a byte
     *     count that does not match a shape — naming the tensor, what was expected and what was found
     */
    public static AdapterTensors read(InputStream in, String source) throws IOException {
        byte[] bytes = in.readAllBytes();
        if (bytes.length < 8) {
            throw malformed(source, "it is " + bytes.length + " bytes long, shorter than the 8-byte header length");
        }
        long headerLength = ByteBuffer.wrap(bytes, 0, 8).order(ByteOrder.LITTLE_ENDIAN).getLong();
        if (headerLength < 2 || headerLength > MAX_HEADER || headerLength > bytes.length - 8) {
            throw malformed(source, "its header length is " + headerLength + " bytes, but the file holds " + (bytes.length - 8)
                    + " bytes after it (truncated, or not a safetensors file)");
        }
        Object parsed;
        try {
            parsed = new MiniJson(new String(bytes, 8, (int) headerLength, StandardCharsets.UTF_8)).document();
        } catch (IllegalArgumentException e) {
            throw malformed(source, "its header is not valid JSON (" + e.getMessage() + ")");
        }
        if (!(parsed instanceof Map<?, ?> header)) {
            throw malformed(source, "its header is not a JSON object");
        }
        int dataStart = 8 + (int) headerLength;
        long dataLength = bytes.length - dataStart;
        Builder builder = builder();
        TreeMap<Long, Object[]> ranges = new TreeMap<>();
        for (Map.Entry<?, ?> e : header.entrySet()) {
            String name = (String) e.getKey();
            if (name.equals(METADATA)) {
                if (e.getValue() instanceof Map<?, ?> meta) {
                    meta.forEach((k, v) -> builder.metadata.put((String) k, String.valueOf(v)));
                }
                continue;
            }
            Map<?, ?> t = e.getValue() instanceof Map<?, ?> m ? m : Map.of();
            Object dtype = t.get("dtype");
            if (!"F32".equals(dtype)) {
                throw malformed(source, "tensor '" + name + "' has dtype " + (dtype instanceof String s ? "\"" + s + "\"" : dtype)
                        + "; expected F32");
            }
            long[] shape = longs(source, name, t.get("shape"), "shape");
            long[] offsets = longs(source, name, t.get("data_offsets"), "data_offsets");
            if (offsets.length != 2 || offsets[0] > offsets[1] || offsets[1] > dataLength) {
                throw malformed(source, "tensor '" + name + "' has data_offsets " + Arrays.toString(offsets)
                        + "; expected [begin, end] within the " + dataLength + " data bytes");
            }
            long values;
            try {
                values = count(shape);
            } catch (ArithmeticException tooMany) {
                throw malformed(source, "tensor '" + name + "' has shape " + Arrays.toString(shape) + ", more values than a file holds");
            }
            if (values > Long.MAX_VALUE / 4) {
                throw malformed(source, "tensor '" + name + "' has shape " + Arrays.toString(shape) + ", more values than a file holds");
            }
            long expectedBytes = 4 * values;
            if (offsets[1] - offsets[0] != expectedBytes) {
                throw malformed(source, "tensor '" + name + "' of shape " + Arrays.toString(shape) + " needs " + expectedBytes
                        + " bytes but data_offsets give " + (offsets[1] - offsets[0]));
            }
            float[] v = new float[(int) (expectedBytes / 4)];
            ByteBuffer.wrap(bytes, dataStart + (int) offsets[0], (int) expectedBytes).order(ByteOrder.LITTLE_ENDIAN)
                    .asFloatBuffer().get(v);
            builder.putOwned(name, shape, v);
            if (expectedBytes == 0) {
                continue; // covers nothing
            }
            Object[] clash = ranges.put(offsets[0], new Object[] {name, offsets[1]});
            if (clash != null) {
                throw malformed(source, "tensors '" + clash[0] + "' and '" + name + "' start at the same data byte (overlapping)");
            }
        }
        long covered = 0;
        for (Map.Entry<Long, Object[]> r : ranges.entrySet()) {
            if (r.getKey() != covered) {
                throw malformed(source, "tensor '" + r.getValue()[0] + "' starts at data byte " + r.getKey()
                        + " but the previous tensor ends at " + covered + (r.getKey() < covered ? " (overlapping)" : " (a hole)"));
            }
            covered = (Long) r.getValue()[1];
        }
        if (covered != dataLength) {
            throw malformed(source, "the tensors cover " + covered + " data bytes but the file holds " + dataLength);
        }
        return builder.build();
    }

    /**
     * Checks that these are exactly the {@code expected} tensors with their shapes; the error names the
     * tensor, what was expected and what was found.
     *
     * @param source names the tensors in messages
     */
    public void checkShapes(Map<String, long[]> expected, String source) throws ModelFormatException {
        for (Map.Entry<String, long[]> e : expected.entrySet()) {
            long[] shape = shapes.get(e.getKey());
            if (shape == null) {
                throw new ModelFormatException(source + ": tensor '" + e.getKey() + "' of shape " + Arrays.toString(e.getValue())
                        + " is missing; the file holds " + shapes.keySet());
            }
            if (!Arrays.equals(shape, e.getValue())) {
                throw new ModelFormatException(source + ": tensor '" + e.getKey() + "' has shape " + Arrays.toString(shape)
                        + "; expected " + Arrays.toString(e.getValue()));
            }
        }
        for (String name : shapes.keySet()) {
            if (!expected.containsKey(name)) {
                throw new ModelFormatException(source + ": tensor '" + name + "' is not expected here; expected only "
                        + expected.keySet());
            }
        }
    }

    /** The number of values a shape holds; negative dimensions are refused. */
    public static long count(long[] shape) {
        long count = 1;
        for (long d : shape) {
            if (d < 0) {
                throw new IllegalArgumentException("negative dimension in shape " + Arrays.toString(shape));
            }
            count = Math.multiplyExact(count, d);
        }
        return count;
    }

    @Override
    public boolean equals(Object o) {
        if (!(o instanceof AdapterTensors t) || !shapes.keySet().equals(t.shapes.keySet()) || !metadata.equals(t.metadata)) {
            return false;
        }
        for (String name : shapes.keySet()) {
            if (!Arrays.equals(shapes.get(name), t.shapes.get(name)) || !Arrays.equals(values.get(name), t.values.get(name))) {
                return false;
            }
        }
        return true;
    }

    @Override
    public int hashCode() {
        int h = metadata.hashCode();
        for (String name : shapes.keySet()) {
            h = 31 * h + name.hashCode();
            h = 31 * h + Arrays.hashCode(shapes.get(name));
            h = 31 * h + Arrays.hashCode(values.get(name));
        }
        return h;
    }

    @Override
    public String toString() {
        return "AdapterTensors[" + shapes.size() + " tensors, " + count() + " values, sha256 " + sha256().substring(0, 16) + "…]";
    }

    private String known(String name) {
        if (!shapes.containsKey(Objects.requireNonNull(name, "name"))) {
            throw new IllegalArgumentException("no tensor '" + name + "'; there are " + shapes.keySet());
        }
        return name;
    }

    private static long[] longs(String source, String name, Object node, String field) throws ModelFormatException {
        if (!(node instanceof List<?> list)) {
            throw malformed(source, "tensor '" + name + "' has no " + field + " array");
        }
        long[] out = new long[list.size()];
        for (int i = 0; i < out.length; i++) {
            if (!(list.get(i) instanceof Long l) || l < 0) {
                throw malformed(source, "tensor '" + name + "' has " + field + " " + list + "; expected non-negative whole numbers");
            }
            out[i] = l;
        }
        return out;
    }

    private static ModelFormatException malformed(String source, String what) {
        return new ModelFormatException(source + " is not a valid safetensors file: " + what);
    }

    private static String quote(String s) {
        StringBuilder b = new StringBuilder("\"");
        for (char c : s.toCharArray()) {
            switch (c) {
                case '"' -> b.append("\\\"");
                case '\\' -> b.append("\\\\");
                case '\n' -> b.append("\\n");
                case '\r' -> b.append("\\r");
                case '\t' -> b.append("\\t");
                default -> {
                    if (c < 0x20) {
                        b.append(String.format("\\u%04x", (int) c));
                    } else {
                        b.append(c);
                    }
                }
            }
        }
        return b.append('"').toString();
    }

    static MessageDigest sha256Digest() {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("this JVM has no SHA-256", e);
        }
    }

    /** Collects tensors; names must be unique and not {@code __metadata__}. */
    public static final class Builder {

        private final SortedMap<String, long[]> shapes = new TreeMap<>();
        private final SortedMap<String, float[]> values = new TreeMap<>();
        private final Map<String, String> metadata = new LinkedHashMap<>();

        private Builder() {
        }

        /** Adds a tensor (its arrays are copied). */
        public Builder put(String name, long[] shape, float[] values) {
            return putOwned(name, shape.clone(), values.clone());
        }

        /** Adds a metadata entry. */
        public Builder metadata(String key, String value) {
            metadata.put(Objects.requireNonNull(key, "key"), Objects.requireNonNull(value, "value"));
            return this;
        }

        private Builder putOwned(String name, long[] shape, float[] v) {
            Objects.requireNonNull(name, "name");
            if (name.equals(METADATA)) {
                throw new IllegalArgumentException("'" + METADATA + "' is reserved and cannot name a tensor");
            }
            if (count(shape) != v.length) {
                throw new IllegalArgumentException("tensor '" + name + "': shape " + Arrays.toString(shape) + " holds "
                        + count(shape) + " values, not " + v.length);
            }
            if (shapes.putIfAbsent(name, shape) != null) {
                throw new IllegalArgumentException("two tensors are named '" + name + "'");
            }
            values.put(name, v);
            return this;
        }

        public AdapterTensors build() {
            return new AdapterTensors(new TreeMap<>(shapes), new TreeMap<>(values), new LinkedHashMap<>(metadata));
        }
    }
}

package org.expertlm.engine.tensor;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;

/**
 * The safetensors format, F32 only: an 8-byte little-endian header length, a JSON header naming
 * each tensor's dtype, shape and byte range ({@code data_offsets}, relative to the data), an optional
 * {@code __metadata__} object of strings, then the raw little-endian data.
 *
 * <p>Reading refuses a malformed file — truncated, a header that is not such JSON, a dtype other
 * than F32, offsets out of range, overlapping or leaving holes, a byte count that does not match the
 * shape — with an error naming the tensor, what was expected and what was found. Writing goes to a
 * temporary file renamed into place, so a crash never leaves half a file under the real name.
 */
public final class SafeTensors {

    /** A file's tensors (in name order) and metadata. */
    public record Contents(Map<String, FloatTensor> tensors, Map<String, String> metadata) {
    }

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final long MAX_HEADER = 100L << 20;

    private SafeTensors() {
    }

    public static void write(Path file, Map<String, FloatTensor> tensors, Map<String, String> metadata) throws IOException {
        ObjectNode header = JSON.createObjectNode();
        if (!metadata.isEmpty()) {
            ObjectNode meta = header.putObject("__metadata__");
            metadata.forEach(meta::put);
        }
        long offset = 0;
        Map<String, FloatTensor> sorted = new TreeMap<>(tensors);
        for (Map.Entry<String, FloatTensor> e : sorted.entrySet()) {
            if (e.getKey().equals("__metadata__")) {
                throw new IllegalArgumentException("'__metadata__' is reserved and cannot name a tensor");
            }
            ObjectNode t = header.putObject(e.getKey());
            t.put("dtype", "F32");
            Arrays.stream(e.getValue().shape()).forEach(t.putArray("shape")::add);
            long bytes = 4L * e.getValue().values().length;
            t.putArray("data_offsets").add(offset).add(offset + bytes);
            offset += bytes;
        }
        byte[] json = JSON.writeValueAsBytes(header);
        int padding = (8 - json.length % 8) % 8; // keeps the data 8-byte aligned, as the reference writer does
        byte[] headerBytes = Arrays.copyOf(json, json.length + padding);
        Arrays.fill(headerBytes, json.length, headerBytes.length, (byte) ' ');
        Path partial = file.resolveSibling(file.getFileName() + ".partial");
        try (FileChannel out = FileChannel.open(partial, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
                StandardOpenOption.TRUNCATE_EXISTING)) {
            ByteBuffer length = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putLong(headerBytes.length).flip();
            out.write(length);
            out.write(ByteBuffer.wrap(headerBytes));
            for (FloatTensor t : sorted.values()) {
                ByteBuffer data = ByteBuffer.allocate(4 * t.values().length).order(ByteOrder.LITTLE_ENDIAN);
                data.asFloatBuffer().put(t.values());
                out.write(data);
            }
        }
        Files.move(partial, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
    }

    public static Contents read(Path file) throws IOException {
        byte[] bytes = Files.readAllBytes(file);
        if (bytes.length < 8) {
            throw malformed(file, "it is " + bytes.length + " bytes long, shorter than the 8-byte header length");
        }
        long headerLength = ByteBuffer.wrap(bytes, 0, 8).order(ByteOrder.LITTLE_ENDIAN).getLong();
        if (headerLength < 2 || headerLength > MAX_HEADER || headerLength > bytes.length - 8) {
            throw malformed(file, "its header length is " + headerLength + " bytes, but the file holds " + (bytes.length - 8)
                    + " bytes after it (truncated, or not a safetensors file)");
        }
        JsonNode header;
        try {
            header = JSON.readTree(new String(bytes, 8, (int) headerLength, StandardCharsets.UTF_8));
        } catch (JsonProcessingException e) {
            throw malformed(file, "its header is not valid JSON (" + e.getOriginalMessage() + ")");
        }
        if (header == null || !header.isObject()) {
            throw malformed(file, "its header is not a JSON object");
        }
        int dataStart = 8 + (int) headerLength;
        long dataLength = bytes.length - dataStart;
        Map<String, String> metadata = new LinkedHashMap<>();
        List<Object[]> ranges = new ArrayList<>();
        Map<String, FloatTensor> tensors = new TreeMap<>();
        for (Iterator<Map.Entry<String, JsonNode>> it = header.fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> e = it.next();
            String name = e.getKey();
            JsonNode t = e.getValue();
            if (name.equals("__metadata__")) {
                t.fields().forEachRemaining(m -> metadata.put(m.getKey(), m.getValue().asText()));
                continue;
            }
            if (!"F32".equals(t.path("dtype").asText())) {
                throw malformed(file, "tensor '" + name + "' has dtype " + t.path("dtype") + "; expected F32");
            }
            long[] shape = longs(file, name, t.path("shape"), "shape");
            long[] offsets = longs(file, name, t.path("data_offsets"), "data_offsets");
            if (offsets.length != 2 || offsets[0] > offsets[1] || offsets[1] > dataLength) {
                throw malformed(file, "tensor '" + name + "' has data_offsets " + Arrays.toString(offsets)
                        + "; expected [begin, end] within the " + dataLength + " data bytes");
            }
            long expectedBytes = 4 * FloatTensor.count(shape);
            if (offsets[1] - offsets[0] != expectedBytes) {
                throw malformed(file, "tensor '" + name + "' of shape " + Arrays.toString(shape) + " needs " + expectedBytes
                        + " bytes but data_offsets give " + (offsets[1] - offsets[0]));
            }
            float[] values = new float[(int) (expectedBytes / 4)];
            ByteBuffer.wrap(bytes, dataStart + (int) offsets[0], (int) expectedBytes).order(ByteOrder.LITTLE_ENDIAN)
                    .asFloatBuffer().get(values);
            tensors.put(name, new FloatTensor(shape, values));
            ranges.add(new Object[] {name, offsets[0], offsets[1]});
        }
        ranges.sort(Comparator.comparingLong(r -> (Long) r[1]));
        long covered = 0;
        for (Object[] r : ranges) {
            if ((Long) r[1] != covered) {
                throw malformed(file, "tensor '" + r[0] + "' starts at data byte " + r[1] + " but the previous tensor ends at "
                        + covered + (((Long) r[1]) < covered ? " (overlapping)" : " (a hole)"));
            }
            covered = (Long) r[2];
        }
        if (covered != dataLength) {
            throw malformed(file, "the tensors cover " + covered + " data bytes but the file holds " + dataLength);
        }
        return new Contents(tensors, metadata);
    }

    /**
     * Reads {@code file} and checks that it holds exactly the expected tensors with the expected
     * shapes; the error names the tensor, what was expected and what was found.
     */
    public static Contents read(Path file, Map<String, long[]> expected) throws IOException {
        Contents contents = read(file);
        for (Map.Entry<String, long[]> e : expected.entrySet()) {
            FloatTensor t = contents.tensors().get(e.getKey());
            if (t == null) {
                throw new IOException(file + ": tensor '" + e.getKey() + "' of shape " + Arrays.toString(e.getValue())
                        + " is missing; the file holds " + contents.tensors().keySet());
            }
            if (!Arrays.equals(t.shape(), e.getValue())) {
                throw new IOException(file + ": tensor '" + e.getKey() + "' has shape " + Arrays.toString(t.shape())
                        + "; expected " + Arrays.toString(e.getValue()));
            }
        }
        for (String name : contents.tensors().keySet()) {
            if (!expected.containsKey(name)) {
                throw new IOException(file + ": tensor '" + name + "' is not expected here; expected only " + expected.keySet());
            }
        }
        return contents;
    }

    private static long[] longs(Path file, String name, JsonNode node, String field) throws IOException {
        if (!node.isArray()) {
            throw malformed(file, "tensor '" + name + "' has no " + field + " array");
        }
        long[] out = new long[node.size()];
        for (int i = 0; i < out.length; i++) {
            if (!node.get(i).canConvertToLong() || !node.get(i).isIntegralNumber() || node.get(i).asLong() < 0) {
                throw malformed(file, "tensor '" + name + "' has " + field + " " + node + "; expected non-negative whole numbers");
            }
            out[i] = node.get(i).asLong();
        }
        return out;
    }

    private static IOException malformed(Path file, String what) {
        return new IOException(file + " is not a valid safetensors file: " + what);
    }
}

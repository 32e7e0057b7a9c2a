package org.expertlm.engine.tensor;

import static org.junit.Assert.assertArrayEquals;
import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertThrows;
import static org.junit.Assert.assertTrue;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

import org.junit.Rule;
import org.junit.Test;
import org.junit.rules.TemporaryFolder;

public class SafeTensorsTest {

    @Rule
    public TemporaryFolder folder = new TemporaryFolder();

    private static final FloatTensor A = new FloatTensor(new long[] {2, 3}, new float[] {1, 2, 3, 4, 5, 6.5f});
    private static final FloatTensor B = new FloatTensor(new long[] {2}, new float[] {-1, 0.25f});

    @Test
    public void roundTripKeepsNamesShapesValuesAndMetadata() throws IOException {
        Path file = folder.getRoot().toPath().resolve("a.safetensors");
        SafeTensors.write(file, Map.of("layer.a", A, "layer.b", B), Map.of("format", "pt", "base", "minilm@abc"));
        SafeTensors.Contents read = SafeTensors.read(file, Map.of("layer.a", new long[] {2, 3}, "layer.b", new long[] {2}));
        assertEquals(A, read.tensors().get("layer.a"));
        assertEquals(B, read.tensors().get("layer.b"));
        assertEquals("minilm@abc", read.metadata().get("base"));
    }

    @Test
    public void theBytesFollowTheFormat() throws IOException {
        Path file = folder.getRoot().toPath().resolve("b.safetensors");
        SafeTensors.write(file, Map.of("b", B), Map.of());
        byte[] bytes = Files.readAllBytes(file);
        long n = ByteBuffer.wrap(bytes, 0, 8).order(ByteOrder.LITTLE_ENDIAN).getLong();
        String header = new String(bytes, 8, (int) n, StandardCharsets.UTF_8).strip();
        assertEquals("{\"b\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]}}", header);
        assertEquals(0, (8 + n) % 8);
        float[] data = new float[2];
        ByteBuffer.wrap(bytes, 8 + (int) n, 8).order(ByteOrder.LITTLE_ENDIAN).asFloatBuffer().get(data);
        assertArrayEquals(B.values(), data, 0f);
    }

    private Path raw(String header, int dataBytes) throws IOException {
        byte[] json = header.getBytes(StandardCharsets.UTF_8);
        ByteBuffer b = ByteBuffer.allocate(8 + json.length + dataBytes).order(ByteOrder.LITTLE_ENDIAN);
        b.putLong(json.length).put(json);
        Path file = Files.createTempFile(folder.getRoot().toPath(), "m", ".safetensors");
        Files.write(file, b.array());
        return file;
    }

    private void refused(Path file, String... fragments) {
        IOException e = assertThrows(IOException.class, () -> SafeTensors.read(file));
        for (String f : fragments) {
            assertTrue(e.getMessage(), e.getMessage().contains(f));
        }
    }

    @Test
    public void malformedFilesAreRefusedWithWhatWasWrong() throws IOException {
        Path truncated = folder.getRoot().toPath().resolve("t.safetensors");
        Files.write(truncated, new byte[] {1, 2, 3});
        refused(truncated, "shorter than the 8-byte header length");
        refused(raw("{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]}}", 4), "within the 4 data bytes");
        Path shortHeader = folder.getRoot().toPath().resolve("h.safetensors");
        Files.write(shortHeader, ByteBuffer.allocate(12).order(ByteOrder.LITTLE_ENDIAN).putLong(1000).putInt(0).array());
        refused(shortHeader, "header length is 1000 bytes", "truncated");
        refused(raw("{not json}", 0), "not valid JSON");
        refused(raw("{\"a\":{\"dtype\":\"F16\",\"shape\":[2],\"data_offsets\":[0,4]}}", 4), "tensor 'a' has dtype \"F16\"; expected F32");
        refused(raw("{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,16]}}", 8), "tensor 'a' has data_offsets [0, 16]");
        refused(raw("{\"a\":{\"dtype\":\"F32\",\"shape\":[3],\"data_offsets\":[0,8]}}", 8), "tensor 'a' of shape [3] needs 12 bytes");
        refused(raw("{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]},"
                + "\"b\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[4,8]}}", 8), "overlapping");
        refused(raw("{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[4,8]}}", 8), "a hole");
        refused(raw("{\"a\":{\"dtype\":\"F32\",\"shape\":[-1],\"data_offsets\":[0,4]}}", 4), "non-negative whole numbers");
    }

    @Test
    public void unexpectedNamesOrShapesAreNamed() throws IOException {
        Path file = folder.getRoot().toPath().resolve("c.safetensors");
        SafeTensors.write(file, Map.of("w", A), Map.of());
        IOException shape = assertThrows(IOException.class, () -> SafeTensors.read(file, Map.of("w", new long[] {3, 2})));
        assertTrue(shape.getMessage(), shape.getMessage().contains("tensor 'w' has shape [2, 3]; expected [3, 2]"));
        IOException missing = assertThrows(IOException.class, () -> SafeTensors.read(file, Map.of("v", new long[] {2, 3})));
        assertTrue(missing.getMessage(), missing.getMessage().contains("tensor 'v' of shape [2, 3] is missing"));
    }
}

package org.expertlm.api;

import static org.junit.Assert.assertArrayEquals;
import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertNotEquals;
import static org.junit.Assert.assertThrows;
import static org.junit.Assert.assertTrue;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.security.MessageDigest;
import java.util.HexFormat;
import java.util.Map;

import org.junit.Test;

/** Tensors as data: a round trip through a stream, the digest of what is written, and checked shapes. */
public class AdapterTensorsTest {

    private static AdapterTensors sample() {
        return AdapterTensors.builder().metadata("format", "elm-expert")
                .put("b", new long[] {2}, new float[] {-1, 0.25f})
                .put("a", new long[] {2, 3}, new float[] {1, 2, 3, 4, 5, 6.5f}).build();
    }

    @Test
    public void aRoundTripThroughAStreamGivesEqualTensorsWithTheDigestOfTheirBytes() throws Exception {
        AdapterTensors t = sample();
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        t.write(out);
        AdapterTensors back = AdapterTensors.read(new ByteArrayInputStream(out.toByteArray()), "memory");
        assertEquals(t, back);
        assertEquals(t.hashCode(), back.hashCode());
        assertArrayEquals(new long[] {2, 3}, back.shape("a"));
        assertArrayEquals(new float[] {-1, 0.25f}, back.values("b"), 0);
        assertEquals("elm-expert", back.metadata().get("format"));
        assertEquals(java.util.List.of("a", "b"), java.util.List.copyOf(back.names()));
        assertEquals(HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(out.toByteArray())), t.sha256());
        assertEquals(32, t.bytes());
        AdapterTensors other = AdapterTensors.builder().metadata("format", "elm-expert")
                .put("b", new long[] {2}, new float[] {-1, 0.5f}).put("a", new long[] {2, 3}, new float[] {1, 2, 3, 4, 5, 6.5f}).build();
        assertNotEquals(t, other);
        assertNotEquals(t.sha256(), other.sha256());
    }

    @Test
    public void valuesAreCopiedInAndOut() {
        float[] values = {1, 2};
        AdapterTensors t = AdapterTensors.builder().put("w", new long[] {2}, values).build();
        values[0] = 9;
        t.values("w")[1] = 9;
        assertArrayEquals(new float[] {1, 2}, t.values("w"), 0);
        assertThrows(IllegalArgumentException.class, () -> t.values("v"));
        assertThrows(IllegalArgumentException.class, () -> AdapterTensors.builder().put("w", new long[] {3}, values));
    }

    @Test
    public void checkShapesNamesTheTensorThatDiffers() throws IOException {
        AdapterTensors t = sample();
        t.checkShapes(Map.of("a", new long[] {2, 3}, "b", new long[] {2}), "t");
        ModelFormatException shape = assertThrows(ModelFormatException.class,
                () -> t.checkShapes(Map.of("a", new long[] {3, 2}, "b", new long[] {2}), "t"));
        assertTrue(shape.getMessage(), shape.getMessage().contains("tensor 'a' has shape [2, 3]; expected [3, 2]"));
        ModelFormatException extra = assertThrows(ModelFormatException.class, () -> t.checkShapes(Map.of("a", new long[] {2, 3}), "t"));
        assertTrue(extra.getMessage(), extra.getMessage().contains("tensor 'b' is not expected here"));
    }

    @Test
    public void aShapeOfMoreValuesThanAnyFileHoldsIsAFormatError() {
        byte[] json = "{\"a\":{\"dtype\":\"F32\",\"shape\":[4294967296,4294967296],\"data_offsets\":[0,0]}}"
                .getBytes(java.nio.charset.StandardCharsets.UTF_8);
        java.nio.ByteBuffer b = java.nio.ByteBuffer.allocate(8 + json.length).order(java.nio.ByteOrder.LITTLE_ENDIAN);
        b.putLong(json.length).put(json);
        ModelFormatException e = assertThrows(ModelFormatException.class,
                () -> AdapterTensors.read(new ByteArrayInputStream(b.array()), "huge"));
        assertTrue(e.getMessage(), e.getMessage().contains("more values than a file holds"));
    }

    @Test
    public void theHeaderReaderRefusesWhatIsNotJson() {
        assertThrows(IllegalArgumentException.class, () -> new MiniJson("{\"a\": 1,}").document());
        assertThrows(IllegalArgumentException.class, () -> new MiniJson("{\"a\": 1} x").document());
        assertThrows(IllegalArgumentException.class, () -> new MiniJson("{\"a\": 1, \"a\": 2}").document());
        assertThrows(IllegalArgumentException.class, () -> new MiniJson("{\"a\": null, \"a\": 2}").document());
        assertEquals(Map.of("k", java.util.List.of(1L, 2.5, "x\n", true)), new MiniJson("{\"k\": [1, 2.5, \"x\\n\", true]}").document());
    }
}

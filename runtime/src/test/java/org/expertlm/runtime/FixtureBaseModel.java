package org.expertlm.runtime;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Random;

import org.expertlm.api.AdapterTensors;

import com.fasterxml.jackson.databind.node.ObjectNode;

/**
 * A fixture-sized base model written the way the engine writes one (base.json in format elm-base/1 and
 * decoder.safetensors): one decoder layer of small seeded random weights over the real encoder, so that
 * the container's commands run on it in seconds. What it says is noise; what is tested is the plumbing.
 */
final class FixtureBaseModel {

    static final int DIM = 384;
    static final int HEADS = 2;
    static final int INNER = 32;

    private FixtureBaseModel() {
    }

    /** Writes the model into {@code models/base/<name>/} and returns its id. */
    static String write(Path models, String name, String encoderId) throws Exception {
        Map<String, long[]> shapes = new LinkedHashMap<>();
        String p = "decoder.layer.0";
        for (String block : new String[] {".self", ".cross"}) {
            shapes.put(p + block + ".norm.weight", new long[] {DIM});
            shapes.put(p + block + ".norm.bias", new long[] {DIM});
            for (String part : new String[] {".query", ".key", ".value", ".output"}) {
                shapes.put(p + block + part + ".weight", new long[] {DIM, DIM});
                shapes.put(p + block + part + ".bias", new long[] {DIM});
            }
        }
        shapes.put(p + ".ffn.norm.weight", new long[] {DIM});
        shapes.put(p + ".ffn.norm.bias", new long[] {DIM});
        shapes.put(p + ".ffn.in.weight", new long[] {DIM, INNER});
        shapes.put(p + ".ffn.in.bias", new long[] {INNER});
        shapes.put(p + ".ffn.out.weight", new long[] {INNER, DIM});
        shapes.put(p + ".ffn.out.bias", new long[] {DIM});
        shapes.put("decoder.final.norm.weight", new long[] {DIM});
        shapes.put("decoder.final.norm.bias", new long[] {DIM});

        Random random = new Random(11);
        AdapterTensors.Builder tensors = AdapterTensors.builder().metadata("format", "elm-decoder");
        shapes.forEach((tensor, shape) -> {
            float[] values = new float[(int) AdapterTensors.count(shape)];
            for (int i = 0; i < values.length; i++) {
                values[i] = tensor.endsWith(".norm.weight") ? 1 : tensor.endsWith(".bias") ? 0 : (float) random.nextGaussian() * 0.02f;
            }
            tensors.put(tensor, shape, values);
        });
        Path folder = models.resolve("base").resolve(name);
        Files.createDirectories(folder);
        Path file = folder.resolve("decoder.safetensors");
        try (OutputStream out = Files.newOutputStream(file)) {
            tensors.build().write(out);
        }
        String sha256 = HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(Files.readAllBytes(file)));
        String id = name + "@sha256:" + sha256.substring(0, 16);

        ObjectNode json = ElmScript.JSON.createObjectNode();
        json.put("format", "elm-base/1");
        json.put("id", id);
        json.put("encoder", encoderId);
        ObjectNode decoder = json.putObject("decoder");
        decoder.put("layers", 1).put("dim", DIM).put("heads", HEADS).put("inner", INNER).put("maxLength", 34);
        json.put("tensors", "decoder.safetensors");
        json.put("sha256", sha256);
        json.putObject("provenance").put("made by", FixtureBaseModel.class.getName());
        // BOS, [SEP], [UNK], then the pieces of a few hundred common words.
        var vocabulary = json.putArray("vocabulary").add(101).add(102).add(100);
        for (int id2 = 1996; id2 < 2400; id2++) {
            vocabulary.add(id2);
        }
        write(folder.resolve("base.json"), json);
        return id;
    }

    private static void write(Path file, ObjectNode json) throws IOException {
        ElmScript.JSON.writerWithDefaultPrettyPrinter().writeValue(file.toFile(), json);
    }
}

package org.expertlm.engine.lm;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.TreeMap;

import org.expertlm.api.BaseModelRef;
import org.expertlm.api.ModelFormatException;
import org.expertlm.engine.tensor.FloatTensor;
import org.expertlm.engine.tensor.ModelFiles;
import org.expertlm.engine.tensor.SafeTensors;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;

/**
 * A trained base model on disk: a folder with {@code decoder.safetensors} (the decoder's tensors) and
 * {@code base.json} (its format, id, the encoder it was trained over, the decoder's shape and output
 * vocabulary, the digest of the tensor file, and how it was made). The id ends with the first 16 hex
 * digits of the tensor file's SHA-256, so two models with the same id have the same weights. Reading
 * checks the format ({@value #FORMAT}), the digest and every tensor's name and shape.
 *
 * @param id {@code name@sha256:…}
 * @param encoderId the frozen encoder's id (its weights' digest included)
 * @param config the decoder's shape and output vocabulary
 * @param tensors the decoder's tensors by name
 * @param sha256 the digest of {@code decoder.safetensors}
 * @param provenance how the model was made (corpus digest, settings, seed, steps, losses, time)
 */
public record BaseModel(String id, String encoderId, DecoderConfig config, Map<String, FloatTensor> tensors, String sha256,
        JsonNode provenance) {

    public static final String TENSORS = "decoder.safetensors";
    public static final String DESCRIPTION = "base.json";
    /** The format of {@code base.json} and its tensor file, written into the description and checked on read. */
    public static final String FORMAT = "elm-base/1";
    /** The tensor file's metadata format name. */
    static final String TENSOR_FORMAT = "elm-decoder";
    private static final ObjectMapper JSON = ModelFiles.JSON;

    /** Writes the tensors, then the description naming their digest; returns the model as written, with its id. */
    public static BaseModel write(Path folder, String name, String encoderId, DecoderConfig config,
            Map<String, FloatTensor> tensors, JsonNode provenance) throws IOException {
        Files.createDirectories(folder);
        Path file = folder.resolve(TENSORS);
        SafeTensors.write(file, new TreeMap<>(tensors), Map.of("format", TENSOR_FORMAT));
        String sha256 = ModelFiles.sha256(file);
        String id = name + "@sha256:" + sha256.substring(0, 16);
        ObjectNode json = JSON.createObjectNode();
        json.put("format", FORMAT);
        json.put("id", id);
        json.put("encoder", encoderId);
        ObjectNode shape = json.putObject("decoder");
        shape.put("layers", config.layers());
        shape.put("dim", config.dim());
        shape.put("heads", config.heads());
        shape.put("inner", config.inner());
        shape.put("maxLength", config.maxLength());
        json.put("tensors", TENSORS);
        json.put("sha256", sha256);
        json.set("provenance", provenance);
        json.set("vocabulary", JSON.valueToTree(config.vocabulary()));
        ModelFiles.writeAtomically(folder.resolve(DESCRIPTION), json);
        return new BaseModel(id, encoderId, config, tensors, sha256, provenance);
    }

    /**
     * Reads a model folder, checking that the tensor file is the one the description names (its digest)
     * and that every tensor has the shape the decoder needs.
     */
    public static BaseModel read(Path folder) throws IOException {
        Path description = folder.resolve(DESCRIPTION);
        if (!Files.isRegularFile(description)) {
            throw new IOException(folder + " is not a base model: it has no " + DESCRIPTION);
        }
        JsonNode json = JSON.readTree(description.toFile());
        ModelFormatException.check(description.toString(), json.path("format").asText(null), FORMAT);
        JsonNode shape = json.path("decoder");
        int[] vocabulary = JSON.treeToValue(json.path("vocabulary"), int[].class);
        if (vocabulary == null) {
            throw new IOException(description + " has no output vocabulary");
        }
        DecoderConfig config = new DecoderConfig(shape.path("layers").asInt(), shape.path("dim").asInt(),
                shape.path("heads").asInt(), shape.path("inner").asInt(), shape.path("maxLength").asInt(), vocabulary);
        Path file = folder.resolve(json.path("tensors").asText(TENSORS));
        String expected = json.path("sha256").asText();
        String found = ModelFiles.sha256(file);
        if (!found.equals(expected)) {
            throw new ModelFormatException(file + " has SHA-256 " + found + " but " + description + " names " + expected
                    + ": the tensors were changed or belong to another model; restore the folder as it was written");
        }
        String id = json.path("id").asText();
        if (!id.endsWith("@sha256:" + found.substring(0, 16))) {
            throw new ModelFormatException(description + " names id '" + id + "', which does not end with the tensors' digest "
                    + "@sha256:" + found.substring(0, 16) + "; an id names its weights: restore the folder as it was written");
        }
        SafeTensors.Contents contents = SafeTensors.read(file, expectedShapes(config));
        ModelFormatException.check(file + " (its metadata)", contents.metadata().get("format"), TENSOR_FORMAT);
        Map<String, FloatTensor> tensors = new LinkedHashMap<>(contents.tensors());
        return new BaseModel(id, json.path("encoder").asText(), config, tensors, found,
                json.path("provenance"));
    }

    /** The tensor names and shapes of a decoder of this configuration. */
    public static Map<String, long[]> expectedShapes(DecoderConfig c) {
        Map<String, long[]> shapes = new LinkedHashMap<>();
        long d = c.dim();
        for (int layer = 0; layer < c.layers(); layer++) {
            String p = "decoder.layer." + layer;
            for (String block : new String[] {".self", ".cross"}) {
                shapes.put(p + block + ".norm.weight", new long[] {d});
                shapes.put(p + block + ".norm.bias", new long[] {d});
                for (String part : new String[] {".query", ".key", ".value", ".output"}) {
                    shapes.put(p + block + part + ".weight", new long[] {d, d});
                    shapes.put(p + block + part + ".bias", new long[] {d});
                }
            }
            shapes.put(p + ".ffn.norm.weight", new long[] {d});
            shapes.put(p + ".ffn.norm.bias", new long[] {d});
            shapes.put(p + ".ffn.in.weight", new long[] {d, c.inner()});
            shapes.put(p + ".ffn.in.bias", new long[] {c.inner()});
            shapes.put(p + ".ffn.out.weight", new long[] {c.inner(), d});
            shapes.put(p + ".ffn.out.bias", new long[] {d});
        }
        shapes.put("decoder.final.norm.weight", new long[] {d});
        shapes.put("decoder.final.norm.bias", new long[] {d});
        return shapes;
    }

    /** The model named by content. */
    public BaseModelRef ref() {
        return new BaseModelRef(id, sha256);
    }
}

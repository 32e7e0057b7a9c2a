package org.expertlm.runtime;

import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.zip.ZipFile;

import org.expertlm.engine.OnnxReference;

import ai.djl.huggingface.tokenizers.HuggingFaceTokenizer;

/** The sentence vector of one text by Hugging Face's tokenizer and ONNX Runtime, from the distribution's model jar. */
final class OnnxRuntimeReference {

    private OnnxRuntimeReference() {
    }

    static float[] embed(Path modelJar, String text) throws Exception {
        byte[] onnx;
        Path tokenizerJson = Files.createTempFile("elm-tokenizer-", ".json");
        try (ZipFile jar = new ZipFile(modelJar.toFile())) {
            try (InputStream in = jar.getInputStream(jar.getEntry("all-minilm-l6-v2.onnx"))) {
                onnx = in.readAllBytes();
            }
            try (InputStream in = jar.getInputStream(jar.getEntry("all-minilm-l6-v2-tokenizer.json"))) {
                Files.write(tokenizerJson, in.readAllBytes());
            }
        }
        int[] ids;
        try (HuggingFaceTokenizer tokenizer = HuggingFaceTokenizer.newInstance(tokenizerJson,
                Map.of("maxLength", "256", "truncation", "true", "padding", "false"))) {
            ids = Arrays.stream(tokenizer.encode(text).getIds()).mapToInt(Math::toIntExact).toArray();
        } finally {
            Files.deleteIfExists(tokenizerJson);
        }
        try (OnnxReference reference = new OnnxReference(onnx, 2)) {
            return reference.embed(List.of(ids))[0];
        }
    }
}

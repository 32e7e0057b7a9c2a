package org.expertlm.runtime;

import java.io.InputStream;
import java.nio.LongBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.HashMap;
import java.util.Map;
import java.util.zip.ZipFile;

import ai.djl.huggingface.tokenizers.HuggingFaceTokenizer;
import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtSession;

/** The sentence vector of one text by Hugging Face's tokenizer and ONNX Runtime, mean-pooled and normalised. */
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
        long[] ids;
        try (HuggingFaceTokenizer tokenizer = HuggingFaceTokenizer.newInstance(tokenizerJson,
                Map.of("maxLength", "256", "truncation", "true", "padding", "false"))) {
            ids = tokenizer.encode(text).getIds();
        } finally {
            Files.deleteIfExists(tokenizerJson);
        }
        OrtEnvironment env = OrtEnvironment.getEnvironment();
        long[] shape = {1, ids.length};
        long[] mask = new long[ids.length];
        Arrays.fill(mask, 1);
        Map<String, OnnxTensor> inputs = new HashMap<>();
        try (OrtSession session = env.createSession(onnx, new OrtSession.SessionOptions())) {
            inputs.put("input_ids", OnnxTensor.createTensor(env, LongBuffer.wrap(ids), shape));
            inputs.put("attention_mask", OnnxTensor.createTensor(env, LongBuffer.wrap(mask), shape));
            inputs.put("token_type_ids", OnnxTensor.createTensor(env, LongBuffer.wrap(new long[ids.length]), shape));
            try (OrtSession.Result result = session.run(inputs)) {
                float[][] hidden = ((float[][][]) result.get(0).getValue())[0];
                double[] mean = new double[hidden[0].length];
                for (float[] token : hidden) {
                    for (int d = 0; d < mean.length; d++) {
                        mean[d] += token[d] / (double) hidden.length;
                    }
                }
                double norm = Math.sqrt(Arrays.stream(mean).map(v -> v * v).sum());
                float[] out = new float[mean.length];
                for (int d = 0; d < out.length; d++) {
                    out[d] = (float) (mean[d] / norm);
                }
                return out;
            }
        } finally {
            inputs.values().forEach(OnnxTensor::close);
        }
    }
}

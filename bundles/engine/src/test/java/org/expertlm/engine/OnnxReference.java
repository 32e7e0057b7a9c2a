package org.expertlm.engine;

import java.nio.LongBuffer;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;

/** ONNX Runtime on the same MiniLM file, with the same mean pooling and normalisation: the reference. */
public final class OnnxReference implements AutoCloseable {

    private final OrtEnvironment env = OrtEnvironment.getEnvironment();
    private final OrtSession session;

    public OnnxReference(byte[] onnx, int threads) throws OrtException {
        OrtSession.SessionOptions options = new OrtSession.SessionOptions();
        options.setIntraOpNumThreads(threads);
        options.setInterOpNumThreads(1);
        session = env.createSession(onnx, options);
    }

    /** Sentence vectors of a padded batch (pad id 0), as sentence-transformers computes them. */
    public float[][] embed(List<int[]> sequences) throws OrtException {
        int batch = sequences.size();
        int length = sequences.stream().mapToInt(s -> s.length).max().orElse(0);
        long[] ids = new long[batch * length];
        long[] mask = new long[batch * length];
        for (int i = 0; i < batch; i++) {
            int[] s = sequences.get(i);
            for (int t = 0; t < s.length; t++) {
                ids[i * length + t] = s[t];
                mask[i * length + t] = 1;
            }
        }
        long[] shape = {batch, length};
        Map<String, OnnxTensor> inputs = new HashMap<>();
        inputs.put("input_ids", OnnxTensor.createTensor(env, LongBuffer.wrap(ids), shape));
        inputs.put("attention_mask", OnnxTensor.createTensor(env, LongBuffer.wrap(mask), shape));
        if (session.getInputNames().contains("token_type_ids")) {
            inputs.put("token_type_ids", OnnxTensor.createTensor(env, LongBuffer.wrap(new long[batch * length]), shape));
        }
        try (OrtSession.Result result = session.run(inputs)) {
            float[][][] hidden = (float[][][]) result.get(0).getValue();
            float[][] out = new float[batch][];
            for (int i = 0; i < batch; i++) {
                int n = sequences.get(i).length;
                double[] sum = new double[hidden[i][0].length];
                for (int t = 0; t < n; t++) {
                    for (int d = 0; d < sum.length; d++) {
                        sum[d] += hidden[i][t][d];
                    }
                }
                double norm = 0;
                for (int d = 0; d < sum.length; d++) {
                    sum[d] /= n;
                    norm += sum[d] * sum[d];
                }
                norm = Math.max(Math.sqrt(norm), 1e-12);
                out[i] = new float[sum.length];
                for (int d = 0; d < sum.length; d++) {
                    out[i][d] = (float) (sum[d] / norm);
                }
            }
            return out;
        } finally {
            inputs.values().forEach(OnnxTensor::close);
        }
    }

    @Override
    public void close() throws OrtException {
        session.close();
    }
}

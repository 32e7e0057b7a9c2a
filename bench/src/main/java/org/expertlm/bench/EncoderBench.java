package org.expertlm.bench;

import java.io.InputStream;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;

import org.expertlm.engine.MiniLmFiles;
import org.expertlm.engine.OnnxReference;

import org.expertlm.engine.encoder.MiniLmEncoder;
import org.expertlm.engine.onnx.OnnxWeights;
import org.expertlm.engine.tokenize.WordPieceTokenizer;
import org.nd4j.linalg.factory.Nd4j;

import ai.onnxruntime.OrtEnvironment;

/**
 * Sentences per second of our encoder (run directly through ND4J's operations) and of ONNX Runtime
 * on the same MiniLM file and the same inputs (batches of 32, about 40 tokens each unless longer sentences are asked
 * for), in one process, with their ratio and the largest difference between their sentence vectors. Run it with
 * {@code bench/encoder}.
 */
public final class EncoderBench {

    private static final String[] WORDS = ("the of and to in a is that for it as was with be by on not he this are or his "
            + "from at which but have an they you were her she there been one all we their has would when if so no will "
            + "more what up out who them some could about into than then other time these two may first any new like "
            + "model expert retrieval language training task adapter vector encoder library container bundle weight "
            + "sentiment review movie email spam title translation grammar sense paraphrase verse definition").split(" ");

    private static final int WARM_UP_ROUNDS = 8;

    private EncoderBench() {
    }

    public static void main(String[] args) throws Exception {
        int threads = args.length > 0 ? Integer.parseInt(args[0]) : 2;
        int batches = args.length > 1 ? Integer.parseInt(args[1]) : 20;
        // The fewest words a sentence has; each has up to 18/22 of that more (22-39 by default).
        int fewest = args.length > 2 ? Integer.parseInt(args[2]) : 22;
        int batch = 32;
        // As the engine runs it: single-threaded operations, one batch per thread.
        Nd4j.getEnvironment().setMaxThreads(1);
        Nd4j.getEnvironment().setMaxMasterThreads(1);
        Nd4j.factory().blas().setMaxThreads(1);

        WordPieceTokenizer tokenizer;
        byte[] onnx;
        try (InputStream in = MiniLmFiles.open(MiniLmFiles.TOKENIZER)) {
            tokenizer = WordPieceTokenizer.read(in, WordPieceTokenizer.DEFAULT_MAX_LENGTH);
        }
        try (InputStream in = MiniLmFiles.open(MiniLmFiles.ONNX)) {
            onnx = in.readAllBytes();
        }
        MiniLmEncoder ours = MiniLmEncoder.build(OnnxWeights.read(onnx), threads);

        Random random = new Random(42);
        List<List<int[]>> inputs = new ArrayList<>();
        long tokens = 0;
        for (int b = 0; b < batches; b++) {
            List<int[]> sequences = new ArrayList<>();
            for (int i = 0; i < batch; i++) {
                StringBuilder text = new StringBuilder();
                int words = fewest + random.nextInt(fewest * 18 / 22);
                for (int w = 0; w < words; w++) {
                    text.append(WORDS[random.nextInt(WORDS.length)]).append(w % 9 == 8 ? ", " : " ");
                }
                int[] ids = tokenizer.encode(text.toString().strip() + ".");
                sequences.add(ids);
                tokens += ids.length;
            }
            inputs.add(sequences);
        }

        try (OnnxReference reference = new OnnxReference(onnx, threads)) {
            // Warm up both until the JIT compiler has settled (it takes a core while it works, which
            // only the Java side would pay for): native libraries, allocators, compiled Java code.
            for (int i = 0; i < WARM_UP_ROUNDS; i++) {
                ours.embedBatches(inputs.subList(0, Math.min(threads, inputs.size())));
                reference.embed(inputs.get(i % inputs.size()));
            }
            double worst = 0;
            long start = System.nanoTime();
            List<float[][]> oursOut = ours.embedBatches(inputs);
            double oursSeconds = (System.nanoTime() - start) / 1e9;
            start = System.nanoTime();
            List<float[][]> theirsOut = new ArrayList<>();
            for (List<int[]> b : inputs) {
                theirsOut.add(reference.embed(b));
            }
            double theirsSeconds = (System.nanoTime() - start) / 1e9;
            for (int b = 0; b < inputs.size(); b++) {
                for (int i = 0; i < batch; i++) {
                    for (int d = 0; d < 384; d++) {
                        worst = Math.max(worst, Math.abs(oursOut.get(b)[i][d] - theirsOut.get(b)[i][d]));
                    }
                }
            }
            int sentences = batches * batch;
            double oursRate = sentences / oursSeconds;
            double theirsRate = sentences / theirsSeconds;
            System.out.printf("inputs: %d sentences in batches of %d, mean %.1f tokens, %d threads%n",
                    sentences, batch, tokens / (double) sentences, threads);
            System.out.printf("ELM encoder          : %8.1f sentences/s%n", oursRate);
            System.out.printf("ONNX Runtime %s : %8.1f sentences/s%n", OrtEnvironment.getEnvironment().getVersion(), theirsRate);
            System.out.printf("ratio (ELM / ONNX Runtime): %.2fx  (target >= 0.80x)%n", oursRate / theirsRate);
            System.out.printf("32 sentences (a retrieval's queries) at that rate: ELM %.0f ms, ONNX Runtime %.0f ms%n",
                    1000 * oursSeconds / batches, 1000 * theirsSeconds / batches);
            System.out.printf("parity: max |ELM - ONNX Runtime| = %.2e  (bound 1e-4)%n", worst);
        }
    }
}

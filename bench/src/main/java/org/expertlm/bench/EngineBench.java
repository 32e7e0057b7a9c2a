package org.expertlm.bench;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;

import org.expertlm.engine.MiniLmFiles;
import org.expertlm.engine.encoder.MiniLmModel;
import org.expertlm.engine.graph.AdapterPlan;
import org.expertlm.engine.graph.ClosingMemoryManager;
import org.expertlm.engine.graph.SideBySide;
import org.expertlm.engine.lm.BaseModel;
import org.expertlm.engine.lm.DecoderGraphs;
import org.expertlm.engine.lm.DecoderLm;
import org.expertlm.engine.lm.DirectScorer;
import org.expertlm.engine.lm.DirectTrainer;
import org.expertlm.engine.lm.RankClassifier;
import org.expertlm.engine.tensor.FloatTensor;
import org.expertlm.engine.tensor.SafeTensors;
import org.expertlm.engine.train.AdamW;
import org.nd4j.autodiff.samediff.SameDiff;
import org.nd4j.autodiff.samediff.VariableType;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;

/**
 * Adapter training steps and rank-classification scoring of an expert, with our engine and then with
 * PyTorch on the same architecture, weights, batches and step count, in one invocation: the default
 * expert plan (Houlsby adapters after the decoder's sublayers, LoRA on the query and value of the
 * encoder's top two layers) over the committed base model, inputs of about 64 tokens whose states
 * below the adapted encoder layers are computed once, as expert training does. Our side writes the
 * frozen weights, the adapters' initial values, the batches and its own results to a safetensors file;
 * {@code bench/engine_reference.py} rebuilds the model in PyTorch from it, checks that it computes
 * the same scores and the same losses step after step, and times the same work. Run it with
 * {@code bench/engine}.
 */
public final class EngineBench {

    private static final String[] WORDS = ("the of and to in a is that for it as was with be by on not he this are or his "
            + "from at which but have an they you were her she there been one all we their has would when if so no will "
            + "more what up out who them some could about into than then other time these two may first any new like "
            + "movie review plot actor story film music scene funny boring great awful music dialogue ending").split(" ");
    private static final List<List<String>> TWO = List.of(List.of("positive", "negative"), List.of("yes", "no"),
            List.of("true", "false"));
    private static final List<String> FOUR = List.of("politics", "sports", "science", "business");

    private static final int TRAIN_INPUTS = 16;
    private static final int TRAIN_BATCHES = 8;
    private static final int SCORE_INPUTS = 16;
    private static final int SCORE_BATCHES = 8;
    private static final int WARM_UP = 3;
    /** Timed rounds of the scoring batches: one round is about two seconds, too short to time alone. */
    private static final int SCORE_ROUNDS = 3;
    private static final ObjectMapper JSON = new ObjectMapper();

    private EngineBench() {
    }

    public static void main(String[] args) throws Exception {
        int steps = args.length > 0 ? Integer.parseInt(args[0]) : 40;
        int threads = args.length > 1 ? Integer.parseInt(args[1]) : 2;
        Path basePath = Path.of(args.length > 2 ? args[2] : "expert-bundles/base/elm-base");
        String python = System.getenv().getOrDefault("PYTHON", "/usr/bin/python3");
        Path exchange = Path.of("bench/target/engine-bench.safetensors");
        operationThreads(1); // as the engine runs: single-threaded operations, work side by side

        MiniLmModel encoder = MiniLmFiles.model(threads);
        BaseModel base = BaseModel.read(basePath);
        AdapterPlan plan = new AdapterPlan(Set.of("self", "cross", "ffn"), 32, Set.of(), 8, 16, 2, 7);
        SameDiff sd = SameDiff.create();
        DecoderLm lm = DecoderLm.withAdapters(base, encoder.weights(), sd, plan, DataType.FLOAT);
        int layers = DecoderLm.memoryLayers(plan);
        SideBySide workers = new SideBySide(threads);
        DecoderGraphs graphs = DecoderGraphs.of(lm, workers);

        Random random = new Random(42);
        List<Map<String, INDArray>> train = new ArrayList<>();
        List<List<Map<String, INDArray>>> trainParts = new ArrayList<>();
        long trainTokens = 0;
        for (int b = 0; b < TRAIN_BATCHES; b++) {
            Batch batch = batch(encoder, lm, layers, random, TRAIN_INPUTS, TWO.get(b % TWO.size()), true);
            train.add(batch.placeholders());
            trainParts.add(batch.parts(lm, graphs.size()));
            trainTokens += batch.tokens();
        }
        List<Map<String, INDArray>> score = new ArrayList<>();
        List<Batch> scoreBatches = new ArrayList<>();
        long scoreTokens = 0;
        for (int b = 0; b < SCORE_BATCHES; b++) {
            Batch batch = batch(encoder, lm, layers, random, SCORE_INPUTS, FOUR, false);
            score.add(batch.placeholders());
            scoreBatches.add(batch);
            scoreTokens += batch.tokens();
        }

        // Scoring: the untrained expert (its adapters are the identity), warm-up rounds first. First as issue 12
        // ran it (one graph, its operations on every thread), then as the engine does (batches side by side).
        operationThreads(threads);
        for (int round = 0; round < WARM_UP; round++) {
            score.forEach(p -> sequenceLogProbs(lm, p));
        }
        long clock = System.nanoTime();
        for (int round = 0; round < SCORE_ROUNDS; round++) {
            score.forEach(p -> sequenceLogProbs(lm, p));
        }
        double oneGraphScoreSeconds = (System.nanoTime() - clock) / 1e9 / SCORE_ROUNDS;
        operationThreads(1);
        List<INDArray> graphScores = new ArrayList<>();
        for (int round = 0; round < WARM_UP; round++) {
            scoreSideBySide(graphs, score);
        }
        clock = System.nanoTime();
        for (int round = 0; round < SCORE_ROUNDS; round++) {
            List<INDArray> sums = scoreSideBySide(graphs, score);
            if (round == 0) {
                graphScores.addAll(sums);
            }
        }
        double graphsScoreSeconds = (System.nanoTime() - clock) / 1e9 / SCORE_ROUNDS;
        // Then as the engine scores now: the direct scorer, batches side by side on the workers.
        DirectScorer direct = DirectScorer.of(lm);
        List<DirectScorer> scorers = Collections.nCopies(workers.threads(), direct);
        for (int round = 0; round < WARM_UP; round++) {
            workers.map(scoreBatches, scorers, (scorer, b) -> scorer.scores(b.states(), b.answers()), n -> { });
        }
        List<double[][]> directScores = null;
        clock = System.nanoTime();
        for (int round = 0; round < SCORE_ROUNDS; round++) {
            List<double[][]> sums = workers.map(scoreBatches, scorers, (scorer, b) -> scorer.scores(b.states(), b.answers()),
                    n -> { });
            directScores = round == 0 ? sums : directScores;
        }
        double scoreSeconds = (System.nanoTime() - clock) / 1e9 / SCORE_ROUNDS;
        direct.close();
        List<INDArray> scores = new ArrayList<>();
        double directGraphDiff = 0;
        for (int b = 0; b < scoreBatches.size(); b++) {
            double[][] d = directScores.get(b);
            float[] flat = new float[d.length * d[0].length];
            for (int i = 0; i < d.length; i++) {
                for (int c = 0; c < d[i].length; c++) {
                    flat[i * d[i].length + c] = (float) d[i][c];
                    directGraphDiff = Math.max(directGraphDiff, Math.abs(d[i][c] - graphScores.get(b).getDouble(i * d[i].length + c)));
                }
            }
            scores.add(Nd4j.create(flat, new long[] {flat.length}, 'c'));
        }

        // Training: the first WARM_UP steps are not timed; every step's loss is kept for the parity check.
        Map<String, FloatTensor> tensors = new LinkedHashMap<>(); // what the reference reads
        for (String name : AdamW.trainableVariables(sd)) {
            tensors.put("param/" + name, tensor(sd.getVariable(name).getArr()));
        }
        AdamW.Config config = new AdamW.Config(2e-3, 0.9, 0.999, 1e-8, 0.0, Math.min(10, steps), steps, 1.0);
        // Issue 12's way first, on a graph of its own with the same initial adapters: one graph, every thread.
        double oneGraphTrainSeconds;
        operationThreads(threads);
        SameDiff alone = SameDiff.create();
        DecoderLm aloneLm = DecoderLm.withAdapters(base, encoder.weights(), alone, plan, DataType.FLOAT);
        try (AdamW oneGraph = new AdamW(alone, AdamW.trainableVariables(alone), "lm_rank_loss", config)) {
            oneGraphTrainSeconds = timeSteps(steps, step -> oneGraph.step(train.get(step % train.size())), new double[steps]);
        }
        aloneLm.close();
        operationThreads(1);
        AdamW optimiser = new AdamW(graphs.sameDiffs(), workers, AdamW.trainableVariables(sd), "lm_rank_loss", config);
        double[] graphLosses = new double[steps];
        double graphsTrainSeconds = timeSteps(steps, step -> optimiser.step(trainParts.get(step % trainParts.size())), graphLosses);
        if (System.getenv("ELM_BENCH_PROFILE") != null) {
            profile(sd, lm, optimiser, train, score);
        }
        // Then as the engine trains now: the direct trainer, each step's parts side by side, on a model of its own with
        // the same initial adapters (the same plan and seed).
        SameDiff directSd = SameDiff.create();
        DecoderLm directLm = DecoderLm.withAdapters(base, encoder.weights(), directSd, plan, DataType.FLOAT);
        double[] losses = new double[steps];
        double trainSeconds;
        try (DirectTrainer trainer = DirectTrainer.of(directLm);
                AdamW directOptimiser = new AdamW(directSd, trainer, workers, AdamW.trainableVariables(directSd), "lm_rank_loss", config)) {
            // The first batch's gradients, for the reference to compare with its own.
            trainer.gradients(train.get(0), true).gradients().forEach((name, g) -> {
                tensors.put("expected/gradient/" + name, tensor(g));
                g.close();
            });
            trainSeconds = timeSteps(steps, step -> directOptimiser.step(trainParts.get(step % trainParts.size())), losses);
        }
        directLm.close();
        double graphDirectLossDiff = 0;
        for (int step = 0; step < steps; step++) {
            graphDirectLossDiff = Math.max(graphDirectLossDiff, Math.abs(losses[step] - graphLosses[step]));
        }
        long timedTrainTokens = 0;
        for (int step = WARM_UP; step < steps; step++) {
            timedTrainTokens += tokensOf(train.get(step % train.size()));
        }

        sd.variables().stream()
                .filter(v -> v.getVariableType() == VariableType.CONSTANT
                        && (v.name().startsWith("encoder.") || v.name().startsWith("decoder.")))
                .forEach(v -> tensors.put("const/" + v.name(), tensor(v.getArr())));
        for (int b = 0; b < train.size(); b++) {
            int index = b;
            train.get(b).forEach((name, a) -> tensors.put("train/" + index + "/" + name, tensor(a)));
        }
        for (int b = 0; b < score.size(); b++) {
            int index = b;
            score.get(b).forEach((name, a) -> tensors.put("score/" + index + "/" + name, tensor(a)));
            tensors.put("expected/score/" + b, tensor(scores.get(b)));
        }
        tensors.put("expected/losses", new FloatTensor(new long[] {steps}, toFloats(losses)));
        ObjectNode meta = JSON.createObjectNode();
        meta.put("steps", steps).put("warmUp", WARM_UP).put("threads", threads).put("decoderHeads", base.config().heads())
                .put("encoderHeads", 12).put("encoderFrom", layers).put("loraRank", plan.loraRank())
                .put("loraAlpha", plan.loraAlpha()).put("learningRate", config.learningRate())
                .put("warmupSteps", config.warmupSteps()).put("clipNorm", config.clipNorm())
                .put("trainBatches", train.size()).put("scoreBatches", score.size())
                .put("scoreRounds", SCORE_ROUNDS);
        Files.createDirectories(exchange.getParent());
        SafeTensors.write(exchange, tensors, Map.of("bench", JSON.writeValueAsString(meta)));

        double oursTrain = timedTrainTokens / trainSeconds;
        double oursScore = scoreTokens / scoreSeconds;
        System.out.printf("work: adapter training %d steps (%d timed) of %d inputs x 2 choices; scoring %d inputs x 4 choices;"
                + " inputs of %.1f tokens on average; %d threads%n", steps, steps - WARM_UP, TRAIN_INPUTS,
                SCORE_INPUTS * SCORE_BATCHES, meanInputLength(train, score), threads);
        System.out.printf("tokens = input tokens through the adapted encoder layers + answer tokens through the decoder%n");
        System.out.printf("%-34s %14s %14s%n", "", "training tok/s", "scoring tok/s");
        System.out.printf("%-34s %14.0f %14.0f%n", "ELM, one graph on " + threads + " threads", timedTrainTokens / oneGraphTrainSeconds,
                scoreTokens / oneGraphScoreSeconds);
        System.out.printf("%-34s %14.0f %14.0f%n", "ELM, " + graphs.size() + " graphs side by side", timedTrainTokens / graphsTrainSeconds,
                scoreTokens / graphsScoreSeconds);
        System.out.printf("%-34s %14.0f %14.0f%n", "ELM, direct side by side (engine)", oursTrain, oursScore);
        JsonNode theirs = reference(python, exchange);
        double theirsTrain = timedTrainTokens / theirs.path("trainSeconds").asDouble();
        double theirsScore = scoreTokens / theirs.path("scoreSeconds").asDouble();
        System.out.printf("%-34s %14.0f %14.0f%n", "PyTorch " + theirs.path("torch").asText(), theirsTrain, theirsScore);
        System.out.printf("side by side / one graph         training %.2fx (graphs), %.2fx (direct)   scoring %.2fx (graphs), %.2fx (direct)%n",
                oneGraphTrainSeconds / graphsTrainSeconds, oneGraphTrainSeconds / trainSeconds, oneGraphScoreSeconds / graphsScoreSeconds,
                oneGraphScoreSeconds / scoreSeconds);
        System.out.printf("direct / graphs side by side: training %.2fx, scoring %.2fx; losses max |diff| between them %.2e, scores %.2e%n",
                graphsTrainSeconds / trainSeconds, graphsScoreSeconds / scoreSeconds, graphDirectLossDiff, directGraphDiff);
        System.out.printf("ratio ELM / PyTorch     training %.2fx (target >= 0.70x)   scoring %.2fx (target >= 1.00x)%n",
                oursTrain / theirsTrain, oursScore / theirsScore);
        System.out.printf("parity (the engine's ways: direct scores, direct training in parts): scores max |diff| %.2e; first-step gradients max relative diff %.2e; losses max |diff| %.2e"
                + " over %d steps (%.4f -> %.4f)%n", theirs.path("scoreDiff").asDouble(), theirs.path("gradientDiff").asDouble(),
                theirs.path("lossDiff").asDouble(), steps, losses[0], losses[steps - 1]);
        System.out.printf("tokens per step %.0f, per scoring batch %.0f; ELM scores %.1f inputs/s (4 choices each)%n",
                trainTokens / (double) train.size(), scoreTokens / (double) score.size(),
                SCORE_INPUTS * SCORE_BATCHES / scoreSeconds);
        encoder.close();
        workers.close();
    }

    /** ND4J's operation threads (process-wide). */
    private static void operationThreads(int threads) {
        Nd4j.getEnvironment().setMaxThreads(threads);
        Nd4j.getEnvironment().setMaxMasterThreads(threads);
        Nd4j.factory().blas().setMaxThreads(threads);
    }

    /** Runs {@code steps} steps, keeping each loss; returns the seconds of all but the first WARM_UP. */
    private static double timeSteps(int steps, java.util.function.IntToDoubleFunction step, double[] losses) {
        double seconds = 0;
        for (int i = 0; i < steps; i++) {
            long clock = System.nanoTime();
            losses[i] = step.applyAsDouble(i);
            if (i >= WARM_UP) {
                seconds += (System.nanoTime() - clock) / 1e9;
            }
        }
        return seconds;
    }

    /** The scoring batches side by side on the graphs, as {@code RankClassifier} runs them. */
    private static List<INDArray> scoreSideBySide(DecoderGraphs graphs, List<Map<String, INDArray>> batches) {
        return graphs.workers().map(batches, graphs.graphs(), (g, p) -> sequenceLogProbs(g, p).dup(), n -> { });
    }

    /** Where the time of scoring and of training goes, operation by operation (after the timed runs). */
    private static void profile(SameDiff sd, DecoderLm lm, AdamW optimiser, List<Map<String, INDArray>> train,
            List<Map<String, INDArray>> score) {
        OpProfile profile = new OpProfile("shapes".equals(System.getenv("ELM_BENCH_PROFILE")));
        profile.attach(sd);
        long clock = System.nanoTime();
        score.forEach(p -> sequenceLogProbs(lm, p));
        profile.print("scoring a batch", (System.nanoTime() - clock) / 1e9, score.size());
        profile.reset();
        clock = System.nanoTime();
        train.forEach(optimiser::step);
        profile.print("a training step", (System.nanoTime() - clock) / 1e9, train.size());
    }

    /** Placeholders of one batch, the tokens it carries (input tokens + answer tokens), and what it was made of. */
    private record Batch(Map<String, INDArray> placeholders, long tokens, List<float[][]> states, List<List<int[]>> answers,
            int[] gold) {

        /** The batch cut into parts whose losses sum to its own (a training step's parts side by side). */
        List<Map<String, INDArray>> parts(DecoderLm lm, int parts) {
            return lm.classificationParts(states, answers, gold, parts);
        }
    }

    private static Batch batch(MiniLmModel encoder, DecoderLm lm, int layers, Random random, int inputs, List<String> choices,
            boolean gold) {
        List<String> texts = new ArrayList<>();
        for (int i = 0; i < inputs; i++) {
            StringBuilder text = new StringBuilder("Review: ");
            int words = 40 + random.nextInt(20);
            for (int w = 0; w < words; w++) {
                text.append(WORDS[random.nextInt(WORDS.length)]).append(w % 9 == 8 ? ", " : " ");
            }
            texts.add(text.toString().strip() + ". Is it " + String.join(" or ", choices) + "?");
        }
        List<float[][]> states = encoder.tokenStates(texts, layers);
        List<List<int[]>> answers = new ArrayList<>();
        int[] golds = new int[inputs];
        for (int i = 0; i < inputs; i++) {
            answers.add(choices.stream().map(c -> RankClassifier.answer(encoder.tokenizer(), lm, c)).toList());
            golds[i] = random.nextInt(choices.size());
        }
        Map<String, INDArray> placeholders = lm.classificationBatch(states, answers, gold ? golds : null);
        return new Batch(placeholders, tokensOf(placeholders), states, answers, golds);
    }

    /** Input tokens (real states) plus answer tokens (real targets) of a batch. */
    private static long tokensOf(Map<String, INDArray> placeholders) {
        long inputTokens = placeholders.get("memory_bias").eq(0).castTo(DataType.INT).sumNumber().longValue();
        long answerTokens = placeholders.get("target_mask").sumNumber().longValue();
        return inputTokens + answerTokens;
    }

    private static double meanInputLength(List<Map<String, INDArray>> train, List<Map<String, INDArray>> score) {
        long tokens = 0;
        long inputs = 0;
        for (Map<String, INDArray> p : concat(train, score)) {
            tokens += p.get("memory_bias").eq(0).castTo(DataType.INT).sumNumber().longValue();
            inputs += p.get("memory_bias").size(0);
        }
        return tokens / (double) inputs;
    }

    private static <T> List<T> concat(List<T> a, List<T> b) {
        List<T> all = new ArrayList<>(a);
        all.addAll(b);
        return all;
    }

    private static INDArray sequenceLogProbs(DecoderLm lm, Map<String, INDArray> placeholders) {
        ClosingMemoryManager.installForThisThread(lm.graph());
        return lm.graph().output(placeholders, "sequence_logprob").get("sequence_logprob");
    }

    /** Runs the PyTorch reference on the exchange file and returns the JSON object it prints last. */
    private static JsonNode reference(String python, Path exchange) throws IOException, InterruptedException {
        Process process = new ProcessBuilder(python, "bench/engine_reference.py", exchange.toString())
                .redirectError(ProcessBuilder.Redirect.INHERIT).start();
        String last = null;
        try (BufferedReader out = new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8))) {
            for (String line; (line = out.readLine()) != null;) {
                if (line.startsWith("{")) {
                    last = line;
                } else {
                    System.out.println("  reference: " + line);
                }
            }
        }
        int exit = process.waitFor();
        if (exit != 0 || last == null) {
            throw new IllegalStateException("the PyTorch reference (" + python + " bench/engine_reference.py) failed with exit "
                    + exit + "; it needs Debian's python3-torch and an optimised BLAS (apt-get install python3-torch libopenblas0-openmp), or PYTHON set to a Python with torch");
        }
        return JSON.readTree(last);
    }

    private static FloatTensor tensor(INDArray a) {
        return new FloatTensor(a.shape(), a.castTo(DataType.FLOAT).dup('c').data().asFloat());
    }

    private static float[] toFloats(double[] values) {
        float[] out = new float[values.length];
        for (int i = 0; i < values.length; i++) {
            out[i] = (float) values[i];
        }
        return out;
    }
}

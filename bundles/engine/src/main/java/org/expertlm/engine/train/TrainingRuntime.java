package org.expertlm.engine.train;

import java.io.IOException;
import java.nio.file.Path;
import java.util.function.BooleanSupplier;
import java.util.function.Supplier;

import org.nd4j.linalg.factory.Nd4j;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;

/** How a training run uses the machine (every core for its one graph), reads its settings, and is cancelled. */
final class TrainingRuntime {

    private TrainingRuntime() {
    }

    /**
     * Runs {@code work} with ND4J operations on every core: a training step is one graph, while the
     * engine otherwise runs single-threaded operations side by side (the encoder's workers). ND4J's
     * thread counts are process-wide, so the engine's trainer runs one job at a time and this is the
     * only place that changes them; the previous setting is restored.
     */
    static <T> T onAllCores(Supplier<T> work) {
        int threads = Nd4j.getEnvironment().maxThreads();
        setOperationThreads(Runtime.getRuntime().availableProcessors());
        try {
            return work.get();
        } finally {
            setOperationThreads(threads);
        }
    }

    /**
     * Reads a training configuration (a JSON file of one settings record); a missing, unknown or
     * mistyped field is an error that names it and the configuration to compare with.
     */
    static <T> T readSettings(Path file, Class<T> type, String example) throws IOException {
        return readSettings(java.nio.file.Files.readString(file), file.toString(), type, example);
    }

    /** As {@link #readSettings(Path, Class, String)}, from the configuration's text; {@code source} names it. */
    static <T> T readSettings(String json, String source, Class<T> type, String example) throws IOException {
        try {
            return new ObjectMapper().enable(DeserializationFeature.FAIL_ON_MISSING_CREATOR_PROPERTIES,
                    DeserializationFeature.FAIL_ON_NULL_FOR_PRIMITIVES).readValue(json, type);
        } catch (JsonProcessingException e) {
            throw new IOException(source + " is not a valid training configuration: " + e.getOriginalMessage()
                    + " (see " + example + " for every field)", e);
        }
    }

    /** Throws when the run was asked to stop; its caller has just written a checkpoint. */
    static void stopIfCancelled(BooleanSupplier cancelled, int step) {
        if (cancelled.getAsBoolean()) {
            throw new java.util.concurrent.CancellationException("training cancelled after step " + step
                    + "; a checkpoint was written: run the same command again to resume");
        }
    }

    private static void setOperationThreads(int threads) {
        Nd4j.getEnvironment().setMaxThreads(threads);
        Nd4j.getEnvironment().setMaxMasterThreads(threads);
        Nd4j.factory().blas().setMaxThreads(threads);
    }
}

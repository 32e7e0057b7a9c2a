package org.expertlm.engine.train;

import java.io.IOException;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Supplier;

import org.bytedeco.javacpp.Pointer;
import org.nd4j.linalg.factory.Nd4j;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;

/** How a training run uses the machine: every core for its one graph, and a bound on native memory. */
final class TrainingRuntime {

    /** Above this much physical memory a collection is asked for after a step (see {@link #boundMemory()}). */
    static final int MEMORY_SOFT_LIMIT_MB = 2560;

    /**
     * Steps between two collections at least. A run whose memory stays above the soft limit (an MT run
     * caches 5,250 inputs' states) otherwise collected after every step: 80 ms each, 17% of its time.
     */
    static final int STEPS_BETWEEN_COLLECTIONS = 8;

    private static final AtomicInteger STEPS_SINCE_COLLECTION = new AtomicInteger();

    private TrainingRuntime() {
    }

    /**
     * Runs {@code work} with ND4J operations on every core: a training step is one graph, while the
     * engine otherwise runs single-threaded operations side by side. The previous setting is restored.
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
     * ND4J frees an array's native memory only when the garbage collector has found its Java object
     * unreachable, and a training step leaves such arrays behind while their Java objects are small:
     * without a collection a base run grew past 10 GB. Above {@value #MEMORY_SOFT_LIMIT_MB} MB of
     * physical memory a collection is asked for, at most every {@value #STEPS_BETWEEN_COLLECTIONS}
     * steps. (A limit relative to the level after the last collection ratchets upwards: the C
     * allocator keeps freed memory, so the process's size rarely falls after a collection.)
     */
    static void boundMemory() {
        if (STEPS_SINCE_COLLECTION.incrementAndGet() >= STEPS_BETWEEN_COLLECTIONS
                && Pointer.physicalBytes() > (long) MEMORY_SOFT_LIMIT_MB << 20) {
            STEPS_SINCE_COLLECTION.set(0);
            System.gc();
        }
    }

    /** The process's physical memory in MB, for progress lines. */
    static long memoryMb() {
        return Pointer.physicalBytes() >> 20;
    }

    /**
     * Reads a training configuration (a JSON file of one settings record); a missing, unknown or
     * mistyped field is an error that names it and the configuration to compare with.
     */
    static <T> T readSettings(Path file, Class<T> type, String example) throws IOException {
        try {
            return new ObjectMapper().enable(DeserializationFeature.FAIL_ON_MISSING_CREATOR_PROPERTIES,
                    DeserializationFeature.FAIL_ON_NULL_FOR_PRIMITIVES).readValue(file.toFile(), type);
        } catch (JsonProcessingException e) {
            throw new IOException(file + " is not a valid training configuration: " + e.getOriginalMessage()
                    + " (see " + example + " for every field)", e);
        }
    }

    static MessageDigest sha256() {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("this JVM has no SHA-256", e);
        }
    }

    private static void setOperationThreads(int threads) {
        Nd4j.getEnvironment().setMaxThreads(threads);
        Nd4j.getEnvironment().setMaxMasterThreads(threads);
        Nd4j.factory().blas().setMaxThreads(threads);
    }
}

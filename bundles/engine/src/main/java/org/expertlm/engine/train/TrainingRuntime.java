package org.expertlm.engine.train;

import java.util.function.Supplier;

import org.bytedeco.javacpp.Pointer;
import org.nd4j.linalg.factory.Nd4j;

/** How a training run uses the machine: every core for its one graph, and a bound on native memory. */
final class TrainingRuntime {

    /** How far physical memory may grow above its level after the last collection (see {@link #boundMemory()}). */
    static final int MEMORY_HEADROOM_MB = 768;

    /** The lowest physical memory seen since the last collection (ND4J frees after a collection, not during it). */
    private static long floor = Pointer.physicalBytes();

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
     * unreachable, and a training step leaves hundreds of MB of such arrays behind while their Java
     * objects are small: without a collection a base run grew past 10 GB. When physical memory has
     * grown {@value #MEMORY_HEADROOM_MB} MB above the lowest level seen since the last collection, a
     * collection is asked for: a run stays within its 4 GiB budget without paying for one every step.
     */
    static synchronized void boundMemory() {
        long now = Pointer.physicalBytes();
        floor = Math.min(floor, now);
        if (now > floor + ((long) MEMORY_HEADROOM_MB << 20)) {
            System.gc();
            floor = now;
        }
    }

    /** The process's physical memory in MB, for progress lines. */
    static long memoryMb() {
        return Pointer.physicalBytes() >> 20;
    }

    private static void setOperationThreads(int threads) {
        Nd4j.getEnvironment().setMaxThreads(threads);
        Nd4j.getEnvironment().setMaxMasterThreads(threads);
        Nd4j.factory().blas().setMaxThreads(threads);
    }
}

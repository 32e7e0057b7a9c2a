package org.expertlm.engine.graph;

import java.util.concurrent.atomic.AtomicInteger;

import org.bytedeco.javacpp.Pointer;

/**
 * The one place where the engine asks for a garbage collection, and why. ND4J frees an array's native
 * memory only when the garbage collector has found its Java object unreachable, and training and
 * scoring leave such arrays behind while their Java objects are small: without a collection a base
 * run grew past 10 GB. Above {@value #SOFT_LIMIT_MB} MB of physical memory a collection is asked for,
 * at most every {@value #STEPS_BETWEEN_COLLECTIONS} steps. (A limit relative to the level after the
 * last collection ratchets upwards: the C allocator keeps freed memory, so the process's size rarely
 * falls after a collection.)
 */
public final class NativeMemory {

    /** Above this much physical memory a collection is asked for after a step. */
    static final int SOFT_LIMIT_MB = 2560;

    /**
     * Steps between two collections at least. A run whose memory stays above the soft limit (an MT run
     * caches 5,250 inputs' states) otherwise collected after every step: 80 ms each, 17% of its time.
     */
    static final int STEPS_BETWEEN_COLLECTIONS = 8;

    private static final AtomicInteger STEPS_SINCE_COLLECTION = new AtomicInteger();

    private NativeMemory() {
    }

    /** Called after each training step or scoring batch: collects when native memory is high (see the class comment). */
    public static void afterStep() {
        if (STEPS_SINCE_COLLECTION.incrementAndGet() >= STEPS_BETWEEN_COLLECTIONS
                && Pointer.physicalBytes() > (long) SOFT_LIMIT_MB << 20) {
            STEPS_SINCE_COLLECTION.set(0);
            System.gc();
        }
    }

    /** The process's physical memory in MB, for progress lines. */
    public static long physicalMb() {
        return Pointer.physicalBytes() >> 20;
    }
}

package org.expertlm.engine.direct;

import java.util.ArrayList;
import java.util.List;

import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * The intermediate arrays of one batch, freed together when it is done rather than when the collector
 * finds them (their memory is off the Java heap). One thread's.
 */
public final class Scratch implements AutoCloseable {

    private final List<INDArray> arrays = new ArrayList<>();

    /** Keeps {@code a} to be freed with the batch; returns it. */
    public INDArray keep(INDArray a) {
        arrays.add(a);
        return a;
    }

    @Override
    public void close() {
        arrays.forEach(Scratch::free);
        arrays.clear();
    }

    /** Frees an array that owns its memory (a view's belongs to its original). */
    public static void free(INDArray a) {
        if (a != null && a.closeable() && !a.wasClosed()) {
            a.close();
        }
    }
}

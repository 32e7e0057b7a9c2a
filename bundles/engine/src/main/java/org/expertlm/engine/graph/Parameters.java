package org.expertlm.engine.graph;

import org.nd4j.autodiff.samediff.SDVariable;

/**
 * Where a block takes its tensors from, by name: trainable variables for a model being trained,
 * constants for a frozen base. A missing tensor is an error naming it.
 */
@FunctionalInterface
public interface Parameters {

    /** The tensor called {@code name}, of {@code shape}. */
    SDVariable get(String name, long... shape);
}

/**
 * Forward and backward passes run directly through ND4J's operations, without a graph session: the
 * pieces the inference encoder, the direct scorer and the direct trainer share (products with their
 * weights prepared once, products under trainable LoRA updates, layer norms, BERT layers over packed
 * rows, the backward passes of norms, GELU and attention, the intermediate arrays of a batch freed
 * together). The SameDiff graphs stay the reference they are tested against.
 */
package org.expertlm.engine.direct;

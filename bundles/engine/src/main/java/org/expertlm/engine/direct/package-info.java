/**
 * Forward passes run directly through ND4J's operations, without a graph session: the pieces the
 * inference encoder and the direct scorer share (products with their weights prepared once, layer
 * norms, BERT layers over packed rows, the intermediate arrays of a batch freed together). The
 * SameDiff graphs stay the reference they are tested against.
 */
package org.expertlm.engine.direct;

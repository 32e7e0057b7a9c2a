/**
 * SameDiff building blocks shared by the engine's models: exact GELU, and the adapters that make an
 * expert — Houlsby bottlenecks and LoRA — whose tensors are the only trainable ones in a graph.
 */
package org.expertlm.engine.graph;

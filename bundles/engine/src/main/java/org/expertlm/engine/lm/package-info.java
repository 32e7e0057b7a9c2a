/**
 * The base language model's decoder over the frozen encoder's states, and rank classification:
 * every answer choice scored by the summed log-probabilities of its tokens given the input.
 */
package org.expertlm.engine.lm;

/** Training of SameDiff graphs: AdamW with warm-up and linear decay, global gradient clipping, checkpoints. */
package org.expertlm.engine.train;

package org.expertlm.api;

/**
 * A model in the engine's cache.
 *
 * @param name a base model's id, or an expert's {@code id@version}
 * @param digest the digest that identifies it
 * @param bytes the memory it holds (its tensors, estimated)
 * @param handles handles open on it now
 * @param lastUsed when a handle was last opened on it (epoch milliseconds)
 */
public record LoadedModelInfo(String name, String digest, long bytes, int handles, long lastUsed) {
}

package org.expertlm.api;

import java.util.List;

/**
 * What the neural engine runs on and what it holds.
 *
 * @param backend the ND4J backend ({@code CPU} or {@code CUDA}) and its build
 * @param threads the threads its operations use
 * @param maxBytes the cap on off-heap memory JavaCPP allocates, in bytes
 * @param maxPhysicalBytes the cap on the process's physical memory JavaCPP enforces, in bytes
 * @param nativeCache where JavaCPP keeps the extracted native libraries
 * @param encoder the sentence encoder's id once it is loaded, else empty
 * @param cacheMaxBytes the memory budget of the loaded models (Config Admin {@code models.max.bytes})
 * @param cacheBytes the memory the loaded models hold now
 * @param loaded the loaded models, most recently used first
 */
public record EngineStatus(String backend, int threads, long maxBytes, long maxPhysicalBytes, String nativeCache,
        String encoder, long cacheMaxBytes, long cacheBytes, List<LoadedModelInfo> loaded) {

    public EngineStatus {
        loaded = List.copyOf(loaded);
    }
}

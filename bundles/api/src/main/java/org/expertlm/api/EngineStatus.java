package org.expertlm.api;

import java.util.List;

/**
 * What the neural engine runs on.
 *
 * @param backend the ND4J backend ({@code CPU} or {@code CUDA}) and its build
 * @param threads the threads its operations use
 * @param maxBytes the cap on off-heap memory JavaCPP allocates, in bytes
 * @param maxPhysicalBytes the cap on the process's physical memory JavaCPP enforces, in bytes
 * @param nativeCache where JavaCPP keeps the extracted native libraries
 * @param models the models loaded so far, by id
 */
public record EngineStatus(String backend, int threads, long maxBytes, long maxPhysicalBytes, String nativeCache,
        List<String> models) {
}

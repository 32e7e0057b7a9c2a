package org.expertlm.engine.encoder;

import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The token states of recently encoded texts, by text and encoder depth, up to a number of bytes;
 * the least recently used go first. Every model that takes over at the same depth (the base model,
 * and each expert adapting the same top layers) reads the same states, so an input scored under
 * several of them is encoded once. The arrays are shared: callers must not change them.
 */
final class StatesCache {

    private record Key(String text, int layers) {
    }

    private final long capacity;
    private final LinkedHashMap<Key, float[][]> entries = new LinkedHashMap<>(64, 0.75f, true);
    private long bytes;
    private long hits;
    private long misses;

    StatesCache(long capacityBytes) {
        this.capacity = capacityBytes;
    }

    /** The states of {@code text} after {@code layers} layers, or null (counted as a miss). */
    synchronized float[][] get(String text, int layers) {
        float[][] states = entries.get(new Key(text, layers));
        if (states == null) {
            misses++;
        } else {
            hits++;
        }
        return states;
    }

    /** Keeps states, dropping the least recently used beyond the capacity (states larger than all of it are not kept). */
    synchronized void put(String text, int layers, float[][] states) {
        long size = sizeOf(states);
        if (size > capacity) {
            return;
        }
        float[][] previous = entries.put(new Key(text, layers), states);
        bytes += size - (previous == null ? 0 : sizeOf(previous));
        Iterator<Map.Entry<Key, float[][]>> oldest = entries.entrySet().iterator();
        while (bytes > capacity) {
            bytes -= sizeOf(oldest.next().getValue());
            oldest.remove();
        }
    }

    synchronized long hits() {
        return hits;
    }

    synchronized long misses() {
        return misses;
    }

    synchronized int size() {
        return entries.size();
    }

    private static long sizeOf(float[][] states) {
        return states.length == 0 ? 0 : 4L * states.length * states[0].length;
    }
}

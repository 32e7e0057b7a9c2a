package org.expertlm.engine.internal;

import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Consumer;
import java.util.function.Supplier;
import java.util.function.ToLongFunction;

import org.expertlm.api.LoadedModelInfo;

/**
 * Loaded models by content digest, handed out as leases. When the models' bytes pass the budget, the
 * least recently used models that no lease holds are closed and dropped; a model in use is never
 * dropped (the cache may then stay over budget until a lease is released). Loading happens outside
 * the cache's lock, one load at a time, so that a slow load never blocks a lookup.
 *
 * @param <M> the model type
 */
final class ModelCache<M> {

    /** A hold on a cached model; {@link #release} once. */
    static final class Lease<M> {

        private final ModelCache<M> cache;
        private final Entry<M> entry;
        private final AtomicBoolean released = new AtomicBoolean();

        private Lease(ModelCache<M> cache, Entry<M> entry) {
            this.cache = cache;
            this.entry = entry;
        }

        /** The model; refused once released. */
        M model() {
            if (released.get()) {
                throw new IllegalStateException("this handle on " + entry.name + " was closed; open the model again");
            }
            return entry.model;
        }

        String digest() {
            return entry.digest;
        }

        String name() {
            return entry.name;
        }

        /** Gives the model back to the cache; idempotent. */
        void release() {
            if (released.compareAndSet(false, true)) {
                cache.release(entry);
            }
        }
    }

    private static final class Entry<M> {
        final String digest;
        final String name;
        final M model;
        final long bytes;
        int leases;
        long lastUsed;

        Entry(String digest, String name, M model, long bytes) {
            this.digest = digest;
            this.name = name;
            this.model = model;
            this.bytes = bytes;
        }
    }

    private final ToLongFunction<M> size;
    private final Consumer<M> closer;
    private final Object loading = new Object();
    /** In access order: the first entry is the least recently used. */
    private final LinkedHashMap<String, Entry<M>> entries = new LinkedHashMap<>(16, 0.75f, true);
    private long maxBytes;
    private long bytes;
    private long evictions;
    private boolean closed;

    ModelCache(long maxBytes, ToLongFunction<M> size, Consumer<M> closer) {
        this.maxBytes = maxBytes;
        this.size = Objects.requireNonNull(size, "size");
        this.closer = Objects.requireNonNull(closer, "closer");
    }

    /**
     * A lease on the model with this digest, loading it with {@code loader} when it is not cached.
     *
     * @param name the model's name, for listings and messages
     */
    Lease<M> open(String digest, String name, Supplier<M> loader) {
        Lease<M> cached = lease(digest);
        if (cached != null) {
            return cached;
        }
        synchronized (loading) {
            cached = lease(digest); // loaded by another thread meanwhile
            if (cached != null) {
                return cached;
            }
            M model = loader.get();
            Entry<M> entry = new Entry<>(digest, name, model, size.applyAsLong(model));
            List<M> evicted;
            synchronized (this) {
                if (closed) {
                    closer.accept(model);
                    throw new IllegalStateException("the engine is stopping; no model can be opened");
                }
                entry.leases = 1;
                entry.lastUsed = System.currentTimeMillis();
                entries.put(digest, entry);
                bytes += entry.bytes;
                evicted = evict();
            }
            evicted.forEach(closer);
            return new Lease<>(this, entry);
        }
    }

    private synchronized Lease<M> lease(String digest) {
        if (closed) {
            throw new IllegalStateException("the engine is stopping; no model can be opened");
        }
        Entry<M> entry = entries.get(digest);
        if (entry == null) {
            return null;
        }
        entry.leases++;
        entry.lastUsed = System.currentTimeMillis();
        return new Lease<>(this, entry);
    }

    private void release(Entry<M> entry) {
        List<M> evicted;
        synchronized (this) {
            entry.leases--;
            if (closed || entries.get(entry.digest) != entry) {
                // Dropped from the cache while leased (the engine stopped): the last lease closes it.
                evicted = entry.leases == 0 ? List.of(entry.model) : List.of();
            } else {
                evicted = evict();
            }
        }
        evicted.forEach(closer);
    }

    /** Drops least recently used idle models while over budget; returns them, to be closed outside the lock. */
    private List<M> evict() {
        List<M> out = new ArrayList<>();
        for (Iterator<Entry<M>> it = entries.values().iterator(); bytes > maxBytes && it.hasNext();) {
            Entry<M> e = it.next();
            if (e.leases == 0) {
                it.remove();
                bytes -= e.bytes;
                evictions++;
                out.add(e.model);
            }
        }
        return out;
    }

    /** Changes the budget, evicting what no longer fits. */
    void budget(long newMaxBytes) {
        List<M> evicted;
        synchronized (this) {
            maxBytes = newMaxBytes;
            evicted = evict();
        }
        evicted.forEach(closer);
    }

    synchronized long maxBytes() {
        return maxBytes;
    }

    synchronized long bytes() {
        return bytes;
    }

    synchronized long evictions() {
        return evictions;
    }

    /** The cached models, most recently used first. */
    synchronized List<LoadedModelInfo> list() {
        List<LoadedModelInfo> out = new ArrayList<>();
        for (Map.Entry<String, Entry<M>> e : entries.entrySet()) {
            Entry<M> v = e.getValue();
            out.add(0, new LoadedModelInfo(v.name, v.digest, v.bytes, v.leases, v.lastUsed));
        }
        return out;
    }

    /** Closes every idle model now and every leased one when its last lease is released; refuses new opens. */
    void close() {
        List<M> idle = new ArrayList<>();
        synchronized (this) {
            closed = true;
            for (Entry<M> e : entries.values()) {
                if (e.leases == 0) {
                    idle.add(e.model);
                }
            }
            entries.clear();
            bytes = 0;
        }
        idle.forEach(closer);
    }
}

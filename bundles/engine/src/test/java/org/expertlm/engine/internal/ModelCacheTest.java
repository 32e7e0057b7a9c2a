package org.expertlm.engine.internal;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertSame;
import static org.junit.Assert.assertThrows;
import static org.junit.Assert.assertTrue;

import java.util.ArrayList;
import java.util.List;

import org.expertlm.api.LoadedModelInfo;
import org.junit.Test;

/** The engine's cache of loaded models: leases, least-recently-used eviction under a budget, closing. */
public class ModelCacheTest {

    /** A model of a given size that records when it is closed. */
    private static final class Model {
        final String name;
        final long bytes;
        boolean closed;

        Model(String name, long bytes) {
            this.name = name;
            this.bytes = bytes;
        }
    }

    private final List<String> closed = new ArrayList<>();
    private final List<String> loaded = new ArrayList<>();

    private ModelCache<Model> cache(long budget) {
        return new ModelCache<>(budget, m -> m.bytes, m -> {
            m.closed = true;
            closed.add(m.name);
        });
    }

    private ModelCache.Lease<Model> open(ModelCache<Model> cache, String name, long bytes) {
        return cache.open("digest-" + name, name, () -> {
            loaded.add(name);
            return new Model(name, bytes);
        });
    }

    @Test
    public void theSameDigestIsLoadedOnceAndSharedByItsLeases() {
        ModelCache<Model> cache = cache(100);
        ModelCache.Lease<Model> a = open(cache, "a", 10);
        ModelCache.Lease<Model> again = open(cache, "a", 10);
        assertSame(a.model(), again.model());
        assertEquals(List.of("a"), loaded);
        assertEquals(2, cache.list().get(0).handles());
        a.release();
        a.release(); // idempotent
        assertEquals(1, cache.list().get(0).handles());
        assertThrows(IllegalStateException.class, a::model);
    }

    @Test
    public void theLeastRecentlyUsedIdleModelsAreEvictedFirstWhenOverBudget() {
        ModelCache<Model> cache = cache(30);
        open(cache, "a", 10).release();
        open(cache, "b", 10).release();
        open(cache, "c", 10).release();
        open(cache, "a", 10).release(); // a is now the most recently used: b is the least
        assertEquals(List.of(), closed);
        open(cache, "d", 10).release();
        assertEquals("b went first", List.of("b"), closed);
        open(cache, "e", 15).release();
        assertEquals("then c and a, until e fits", List.of("b", "c", "a"), closed);
        assertEquals(List.of("e", "d"), cache.list().stream().map(LoadedModelInfo::name).toList());
        assertEquals(25, cache.bytes());
        assertEquals(3, cache.evictions());
    }

    @Test
    public void aModelInUseIsNeverEvictedAndGoesOnceReleasedWhileOverBudget() {
        ModelCache<Model> cache = cache(15);
        ModelCache.Lease<Model> a = open(cache, "a", 10);
        ModelCache.Lease<Model> b = open(cache, "b", 10);
        assertEquals("both in use: over budget, nothing closed", List.of(), closed);
        assertEquals(20, cache.bytes());
        a.release();
        assertEquals(List.of("a"), closed);
        assertTrue(b.model().name.equals("b") && !b.model().closed);
        b.release();
        assertEquals("b fits alone", List.of("a"), closed);
    }

    @Test
    public void aSmallerBudgetEvictsAtOnceAndClosingTheCacheClosesEverythingWhenReleased() {
        ModelCache<Model> cache = cache(100);
        open(cache, "a", 10).release();
        ModelCache.Lease<Model> b = open(cache, "b", 10);
        cache.budget(10);
        assertEquals(List.of("a"), closed);
        cache.close();
        assertEquals("b is still in use", List.of("a"), closed);
        assertTrue(!b.model().closed);
        b.release();
        assertEquals(List.of("a", "b"), closed);
        assertThrows(IllegalStateException.class, () -> open(cache, "c", 1));
    }
}

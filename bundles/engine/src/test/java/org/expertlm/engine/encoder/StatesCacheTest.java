package org.expertlm.engine.encoder;

import static org.junit.Assert.assertArrayEquals;
import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertNotSame;
import static org.junit.Assert.assertNull;
import static org.junit.Assert.assertSame;

import java.io.IOException;
import java.util.List;

import org.expertlm.engine.MiniLmFiles;
import org.junit.Test;

public class StatesCacheTest {

    @Test
    public void theLeastRecentlyUsedStatesGoFirstBeyondTheCapacity() {
        StatesCache cache = new StatesCache(3 * 2 * 4 * 4); // three entries of 2 tokens x 4 values
        cache.put("a", 4, new float[2][4]);
        cache.put("b", 4, new float[2][4]);
        cache.put("a", 5, new float[2][4]);
        cache.get("a", 4); // now more recent than b
        cache.put("c", 4, new float[2][4]);
        assertNull("b was the least recently used", cache.get("b", 4));
        assertEquals(3, cache.size());
        cache.put("long", 4, new float[7][4]);
        assertNull("larger than the whole cache: not kept", cache.get("long", 4));
        assertEquals(3, cache.size());
        cache.put("longer", 4, new float[4][4]);
        assertEquals("two entries made room for it", 2, cache.size());
        assertEquals(1, cache.hits());
        assertEquals(2, cache.misses());
    }

    @Test
    public void aTextIsEncodedOnceForEveryModelThatTakesOverAtItsDepth() throws IOException {
        try (MiniLmModel model = MiniLmFiles.model(1)) {
            List<String> texts = List.of("A film I would watch again.", "The plot was thin.");
            List<float[][]> direct = model.tokenStates(texts, 4);
            List<float[][]> first = model.cachedTokenStates(texts, 4);
            List<float[][]> again = model.cachedTokenStates(List.of(texts.get(1), "Something new."), 4);
            for (int i = 0; i < texts.size(); i++) {
                for (int t = 0; t < direct.get(i).length; t++) {
                    assertArrayEquals(direct.get(i)[t], first.get(i)[t], 0f);
                }
            }
            assertSame("served from the cache", first.get(1), again.get(0));
            assertEquals(1, model.statesCache().hits());
            assertNotSame("another depth is other states", first.get(0), model.cachedTokenStates(texts.subList(0, 1), 6).get(0));
        }
    }
}

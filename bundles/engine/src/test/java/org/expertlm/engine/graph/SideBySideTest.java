package org.expertlm.engine.graph;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertThrows;
import static org.junit.Assert.assertTrue;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.stream.IntStream;

import org.junit.Test;

/** The engine's workers: results in order, one piece per graph at a time, failures passed on. */
public class SideBySideTest {

    @Test
    public void piecesRunAtOnceOnDifferentGraphsAndComeBackInOrder() {
        try (SideBySide workers = new SideBySide(2)) {
            CountDownLatch bothStarted = new CountDownLatch(2);
            Set<String> busy = ConcurrentHashMap.newKeySet();
            List<Integer> done = Collections.synchronizedList(new ArrayList<>());
            List<Integer> items = IntStream.range(0, 6).boxed().toList();
            List<String> out = workers.map(items, List.of("g1", "g2"), (graph, item) -> {
                assertTrue("a graph serves one piece at a time", busy.add(graph));
                try {
                    bothStarted.countDown();
                    // The first two pieces wait for each other: they can only both finish if they run at once.
                    if (item < 2 && !bothStarted.await(10, TimeUnit.SECONDS)) {
                        throw new IllegalStateException("the second piece never started beside the first");
                    }
                    return item + "@" + graph.charAt(0);
                } catch (InterruptedException e) {
                    throw new IllegalStateException(e);
                } finally {
                    busy.remove(graph);
                }
            }, done::add);
            assertEquals(List.of("0@g", "1@g", "2@g", "3@g", "4@g", "5@g"), out);
            assertEquals(List.of(1, 2, 3, 4, 5, 6), done);
        }
    }

    @Test
    public void aFailingPieceFailsTheCallAndOneGraphRunsOnTheCallingThread() {
        try (SideBySide workers = new SideBySide(2)) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> workers.map(List.of(1, 2, 3),
                    List.of("a", "b"), (graph, item) -> {
                        if (item == 2) {
                            throw new IllegalArgumentException("bad item " + item);
                        }
                        return item;
                    }, n -> { }));
            assertEquals("bad item 2", e.getMessage());
            Thread caller = Thread.currentThread();
            SideBySide one = workers.share(1);
            assertEquals(1, one.threads());
            assertEquals(List.of(true, true), one.map(List.of(1, 2), List.of("a"), (graph, item) -> Thread.currentThread() == caller,
                    n -> { }));
            one.close(); // a share stops nothing
            assertEquals(List.of(1, 2), workers.map(List.of(1, 2), List.of("a", "b"), (graph, item) -> item, n -> { }));
        }
    }

    @Test
    public void aFailedCallReturnsOnlyOnceItsRunningPiecesHaveFinished() throws Exception {
        try (SideBySide workers = new SideBySide(2)) {
            CountDownLatch blockedStarted = new CountDownLatch(1);
            CountDownLatch release = new CountDownLatch(1);
            CountDownLatch returned = new CountDownLatch(1);
            AtomicBoolean finished = new AtomicBoolean();
            // Releases the blocked piece once the call has returned, or after half a second if it waits as it should.
            Thread releaser = new Thread(() -> {
                try {
                    returned.await(500, TimeUnit.MILLISECONDS);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
                release.countDown();
            });
            releaser.start();
            assertThrows(IllegalArgumentException.class, () -> workers.map(List.of(1, 2), List.of("a", "b"), (graph, item) -> {
                try {
                    // The failing piece comes first, so that the call sees its failure while the second still runs.
                    if (item == 2) {
                        blockedStarted.countDown();
                        release.await();
                        finished.set(true);
                        return item;
                    }
                    blockedStarted.await();
                    throw new IllegalArgumentException("the other piece fails while the first runs");
                } catch (InterruptedException e) {
                    throw new IllegalStateException(e);
                }
            }, n -> { }));
            boolean whenReturned = finished.get();
            returned.countDown();
            releaser.join();
            assertTrue("the call returned while one of its pieces was still running (its caller may free what that piece uses)",
                    whenReturned);
        }
    }
}

package org.expertlm.engine.graph;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CancellationException;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.BiFunction;
import java.util.function.IntConsumer;

/**
 * The engine's worker threads for independent pieces of work (scoring batches, the parts of a
 * training step), each piece with a resource of its own at a time (a graph replica, or one shared scorer
 * named once per worker). ND4J's operations run single-threaded in the
 * engine: measured here, an operation gains little from a second thread, while two batches at once,
 * one per core, nearly double the throughput (see bench/README.md). The workers are the engine's
 * budget of cores: two training jobs at once share them, so that each gets about one.
 */
public final class SideBySide implements AutoCloseable {

    private final int threads;
    private final ExecutorService workers;
    private final boolean owner;

    /** {@code threads} daemon workers, named {@code elm-graph-N}. */
    public SideBySide(int threads) {
        this(checked(threads), pool(threads), true);
    }

    private SideBySide(int threads, ExecutorService workers, boolean owner) {
        this.threads = threads;
        this.workers = workers;
        this.owner = owner;
    }

    private static int checked(int threads) {
        if (threads < 1) {
            throw new IllegalArgumentException("threads must be at least 1, not " + threads);
        }
        return threads;
    }

    private static ExecutorService pool(int threads) {
        AtomicInteger n = new AtomicInteger();
        return Executors.newFixedThreadPool(threads, r -> {
            Thread t = new Thread(r, "elm-graph-" + n.incrementAndGet());
            t.setDaemon(true);
            return t;
        });
    }

    /**
     * The same workers for a caller that may use at most {@code threads} of them at once (a training job
     * beside others); with one, its work runs on the calling thread. Closing it stops nothing.
     */
    public SideBySide share(int threads) {
        return new SideBySide(Math.max(1, Math.min(this.threads, threads)), workers, false);
    }

    /** How many pieces run at once at most: the number of graph replicas worth building for a model. */
    public int threads() {
        return threads;
    }

    /**
     * {@code work} applied to every item, at most one item per graph at a time, the results in the items'
     * order; {@code done} hears (on the calling thread) how many are done, in order. With one graph or one
     * item, everything runs on the calling thread. A failure cancels the items not yet started and is
     * rethrown; so is an interrupt of the calling thread (as an {@link IllegalStateException}).
     */
    public <G, T, R> List<R> map(List<T> items, List<G> graphs, BiFunction<G, T, R> work, IntConsumer done) {
        List<R> out = new ArrayList<>(items.size());
        if (graphs.size() == 1 || items.size() == 1) {
            for (T item : items) {
                out.add(work.apply(graphs.get(0), item));
                done.accept(out.size());
            }
            return out;
        }
        BlockingQueue<G> idle = new ArrayBlockingQueue<>(graphs.size(), false, graphs);
        Pieces pieces = new Pieces();
        List<Future<R>> futures = new ArrayList<>(items.size());
        for (T item : items) {
            futures.add(workers.submit(() -> {
                pieces.running.incrementAndGet();
                try {
                    if (pieces.stopped) {
                        throw new CancellationException("another piece of the call failed");
                    }
                    G graph = idle.take();
                    try {
                        return work.apply(graph, item);
                    } finally {
                        idle.add(graph);
                    }
                } finally {
                    pieces.finished();
                }
            }));
        }
        try {
            for (Future<R> f : futures) {
                out.add(f.get());
                done.accept(out.size());
            }
            return out;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while waiting for the engine's workers", e);
        } catch (ExecutionException e) {
            if (e.getCause() instanceof Error error) {
                throw error;
            }
            throw e.getCause() instanceof RuntimeException r ? r : new IllegalStateException(e.getCause());
        } finally {
            pieces.stopped = true;
            futures.forEach(f -> f.cancel(false));
            pieces.awaitNoneRunning();
        }
    }

    /**
     * The pieces of one call that are running. A failed call returns only once none runs any more, so that
     * nothing of it runs under its caller's next step (or on arrays the caller frees): cancelling a running
     * {@link Future} marks it done while its work goes on, so the futures cannot tell.
     */
    private static final class Pieces {
        /** Set before waiting: a piece that starts afterwards does nothing (it checks after counting itself in). */
        volatile boolean stopped;
        final AtomicInteger running = new AtomicInteger();

        void finished() {
            if (running.decrementAndGet() == 0) {
                synchronized (this) {
                    notifyAll();
                }
            }
        }

        synchronized void awaitNoneRunning() {
            boolean interrupted = false;
            while (running.get() > 0) {
                try {
                    wait();
                } catch (InterruptedException e) {
                    interrupted = true;
                }
            }
            if (interrupted) {
                Thread.currentThread().interrupt();
            }
        }
    }

    /** Stops the workers (unless this is a {@link #share}); pieces not yet started are dropped. */
    @Override
    public void close() {
        if (owner) {
            workers.shutdownNow();
        }
    }
}

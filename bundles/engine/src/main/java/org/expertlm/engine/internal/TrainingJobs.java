package org.expertlm.engine.internal;

import java.util.ArrayList;
import java.util.Deque;
import java.util.Iterator;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentLinkedDeque;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Consumer;

import org.expertlm.api.TrainingJob;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The trainer's jobs: up to {@code concurrent} at once, each on a thread of its own, with its progress
 * lines, a cancel flag the training loop looks at after every step, and its result. Two jobs for the
 * same model never run at once: the later one starts when the earlier one has stopped (it resumes
 * from the checkpoint the earlier one wrote).
 */
final class TrainingJobs {

    private static final Logger LOG = LoggerFactory.getLogger(TrainingJobs.class);
    private static final int KEPT = 20;

    private final int concurrent;
    private final ExecutorService runner;
    private final Deque<Job<?>> jobs = new ConcurrentLinkedDeque<>();

    TrainingJobs(int concurrent) {
        this.concurrent = Math.max(1, concurrent);
        AtomicInteger n = new AtomicInteger();
        this.runner = Executors.newFixedThreadPool(this.concurrent, r -> {
            Thread t = new Thread(r, "elm-trainer-" + n.incrementAndGet());
            t.setDaemon(true);
            return t;
        });
    }

    /** How many jobs run at once at most. */
    int concurrent() {
        return concurrent;
    }

    /** What a job runs: its body, given the job to report progress to and to ask whether it was cancelled. */
    @FunctionalInterface
    interface Body<R> {
        R run(Job<R> job) throws Exception;
    }

    synchronized <R> TrainingJob<R> submit(String what, Body<R> body) { // one at a time: two jobs of one model see each other
        // The latest job for the same model that has not stopped: this one is queued once that one stops.
        Job<?> earlier = jobs.stream().filter(j -> j.what().equals(what) && !j.isOver()).findFirst().orElse(null);
        Job<R> job = new Job<>(what, earlier);
        jobs.addFirst(job);
        // Forget the oldest finished jobs beyond KEPT; a queued or running one is never forgotten.
        for (Iterator<Job<?>> it = jobs.descendingIterator(); jobs.size() > KEPT && it.hasNext();) {
            if (it.next().isOver()) {
                it.remove();
            }
        }
        Runnable task = () -> job.run(() -> body.run(job));
        if (earlier == null) {
            runner.execute(task);
        } else {
            // Not on a runner thread meanwhile: a waiting job would keep another model's job from starting.
            earlier.stoppedSignal.whenComplete((done, e) -> {
                try {
                    runner.execute(task);
                } catch (RejectedExecutionException stopping) {
                    job.cancel(); // the engine stopped meanwhile
                }
            });
        }
        return job;
    }

    List<TrainingJob<?>> list() {
        return new ArrayList<>(jobs);
    }

    /** Cancels every job and waits up to {@code millis} for the running ones to stop (they write their checkpoints). */
    void shutdown(long millis) {
        jobs.forEach(Job::cancel);
        runner.shutdown();
        try {
            if (!runner.awaitTermination(millis, TimeUnit.MILLISECONDS)) {
                LOG.warn("A training job did not stop within {} ms of the engine stopping", millis);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** One job. */
    static final class Job<R> implements TrainingJob<R> {

        private final String what;
        private final List<String> lines = new ArrayList<>();
        private final List<Consumer<String>> listeners = new ArrayList<>();
        private final CompletableFuture<R> result = new CompletableFuture<>();
        private final CountDownLatch stopped = new CountDownLatch(1);
        /** Completed when the job has stopped (run or cancelled), for a later job of the same model. */
        final CompletableFuture<Void> stoppedSignal = new CompletableFuture<>();
        private volatile State state = State.QUEUED;
        private volatile boolean cancelled;

        /** The job of the same model this one waits for, or null. */
        private final Job<?> earlier;

        Job(String what, Job<?> earlier) {
            this.what = what;
            this.earlier = earlier;
        }

        @Override
        public String what() {
            return what;
        }

        @Override
        public State state() {
            return state;
        }

        /** True once {@link #cancel} was called: the training loop stops after its current step. */
        boolean cancelled() {
            return cancelled;
        }

        /** A progress line, to the log and to every listener. */
        void progress(String line) {
            List<Consumer<String>> now;
            synchronized (this) {
                lines.add(line);
                now = List.copyOf(listeners);
            }
            LOG.info("{}: {}", what, line);
            for (Consumer<String> l : now) {
                try {
                    l.accept(line);
                } catch (RuntimeException e) {
                    LOG.warn("A progress listener of {} failed", what, e);
                }
            }
        }

        @Override
        public void onProgress(Consumer<String> listener) {
            List<String> past;
            synchronized (this) {
                past = List.copyOf(lines);
                listeners.add(listener);
            }
            past.forEach(listener);
        }

        @Override
        public void cancel() {
            cancelled = true;
            synchronized (this) {
                if (state == State.QUEUED) {
                    // Not started: it ends now, not when the job ahead of it does.
                    state = State.CANCELLED;
                    result.completeExceptionally(new CancellationException(what + " was cancelled before it started"));
                    stopped.countDown();
                    // A later job of the same model waits for this one: and so, through it, for the one before.
                    if (earlier == null) {
                        stoppedSignal.complete(null);
                    } else {
                        earlier.stoppedSignal.whenComplete((done, e) -> stoppedSignal.complete(null));
                    }
                }
            }
        }

        boolean isOver() {
            return state == State.SUCCEEDED || state == State.FAILED || state == State.CANCELLED;
        }

        /** The result; a cancelled job's {@link CancellationException} comes out as it is (see CompletableFuture#get). */
        @Override
        public R await() throws InterruptedException, ExecutionException {
            return result.get();
        }

        @Override
        public void awaitStopped() throws InterruptedException {
            stopped.await();
        }

        void run(Callable<R> body) {
            synchronized (this) {
                if (state != State.QUEUED) {
                    return; // cancelled while queued
                }
                state = State.RUNNING;
            }
            try {
                R r = body.call();
                state = State.SUCCEEDED;
                result.complete(r);
            } catch (CancellationException e) {
                progress(e.getMessage()); // before the state changes: a waiter stops reading lines once the job is over
                state = State.CANCELLED;
                result.completeExceptionally(e);
            } catch (Exception | Error e) {
                state = State.FAILED;
                LOG.error("{} failed", what, e);
                result.completeExceptionally(e);
            } finally {
                stopped.countDown();
                stoppedSignal.complete(null);
            }
        }

        @Override
        public String toString() {
            return what + " (" + state.name().toLowerCase(Locale.ROOT) + ")";
        }
    }
}

package org.expertlm.api;

import java.util.concurrent.CancellationException;
import java.util.concurrent.ExecutionException;
import java.util.function.Consumer;

import org.osgi.annotation.versioning.ProviderType;

/**
 * A training run going on in the background: its progress lines, a way to cancel it, and its result.
 * A cancelled run stops within one optimiser step and leaves a checkpoint, from which the same
 * request, made again, resumes.
 *
 * <pre>{@code
 * TrainingJob<TrainingReport> job = trainer.trainExpert(request);
 * job.onProgress(System.err::println);
 * try {
 *     TrainingReport report = job.await();
 * } catch (InterruptedException e) {
 *     job.cancel();   // the checkpoint stays
 * }
 * }</pre>
 *
 * @param <R> what the run produces
 */
@ProviderType
public interface TrainingJob<R> {

    /** The state of a job. */
    enum State { QUEUED, RUNNING, SUCCEEDED, FAILED, CANCELLED }

    /** What is being trained, e.g. {@code expert pang-lee-sentences.yes-no}. */
    String what();

    State state();

    /**
     * Calls {@code listener} with every progress line (what, how far, rate, time left): first the lines
     * so far, on the calling thread, then each new one as it comes, on the training thread.
     */
    void onProgress(Consumer<String> listener);

    /** Asks the run to stop; it does so within one optimiser step, after writing a checkpoint. */
    void cancel();

    /**
     * Waits for the run to end.
     *
     * @throws CancellationException when it was cancelled
     * @throws ExecutionException when it failed (the cause says why)
     * @throws InterruptedException when this thread was interrupted while waiting (the run goes on; cancel it)
     */
    R await() throws InterruptedException, ExecutionException;

    /** Waits, without a result, until the run has stopped (after a cancel, say). */
    void awaitStopped() throws InterruptedException;
}

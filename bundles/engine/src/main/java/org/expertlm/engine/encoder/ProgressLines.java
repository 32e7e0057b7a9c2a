package org.expertlm.engine.encoder;

import java.util.function.Consumer;
import java.util.function.IntConsumer;

/**
 * Progress of long work as lines ({@code what: done/total  rate/s  about N s left}), at most one every
 * few seconds, for the encoder's callbacks and the loops that score or generate.
 */
public final class ProgressLines implements IntConsumer {

    private static final long EVERY_NANOS = 5_000_000_000L;

    private final String what;
    private final int total;
    private final Consumer<String> out;
    private final Runnable check;
    private final long start = System.nanoTime();
    private long last = start;

    private ProgressLines(String what, int total, Consumer<String> out, Runnable check) {
        this.what = what;
        this.total = total;
        this.out = out;
        this.check = check;
    }

    /**
     * Lines about {@code total} units of {@code what} to {@code out}; {@code check} runs at every report
     * (it may throw to stop the work: a cancel).
     */
    public static ProgressLines of(String what, int total, Consumer<String> out, Runnable check) {
        return new ProgressLines(what, total, out, check);
    }

    @Override
    public void accept(int done) {
        check.run();
        long now = System.nanoTime();
        if (now - last < EVERY_NANOS || done >= total) {
            return;
        }
        last = now;
        double rate = done / ((now - start) / 1e9);
        out.accept(String.format("%s: %d/%d  %.1f/s  about %.0f s left", what, done, total, rate, (total - done) / rate));
    }
}

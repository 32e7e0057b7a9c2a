package org.expertlm.composition.internal;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ForkJoinPool;
import java.util.function.Function;
import java.util.function.ToLongFunction;

/**
 * Work items run side by side: the common pool's threads and the caller's each take a share of about equal cost,
 * the largest items dealt first, each to the share with the least so far. A parallel stream splits its items by
 * position instead, and a merge's few large tensors sit together (their names sort together): one thread got them all.
 */
final class SideBySide {

    private SideBySide() {
    }

    /**
     * Below this much cost in all (entries of the tensors, for a merge) the hand-over to another thread costs more
     * than it saves: a merge of bottleneck tensors alone took longer side by side.
     */
    static final long WORTH_IT = 200_000;

    /** {@code work} applied to every item, in the items' order; the first exception thrown is thrown. */
    static <T, R> List<R> map(List<T> items, ToLongFunction<T> cost, Function<T, R> work) {
        long[] costs = items.stream().mapToLong(cost).toArray();
        int shares = Math.min(items.size(), ForkJoinPool.getCommonPoolParallelism() + 1);
        if (shares <= 1 || Arrays.stream(costs).sum() < WORTH_IT) {
            return items.stream().map(work).toList();
        }
        List<List<Integer>> dealt = new ArrayList<>();
        long[] load = new long[shares];
        for (int s = 0; s < shares; s++) {
            dealt.add(new ArrayList<>());
        }
        List<Integer> largestFirst = new ArrayList<>();
        for (int i = 0; i < items.size(); i++) {
            largestFirst.add(i);
        }
        largestFirst.sort(Comparator.comparingLong((Integer i) -> costs[i]).reversed());
        for (int i : largestFirst) {
            int least = 0;
            for (int s = 1; s < shares; s++) {
                least = load[s] < load[least] ? s : least;
            }
            dealt.get(least).add(i);
            load[least] += costs[i];
        }
        Object[] results = new Object[items.size()];
        List<CompletableFuture<Void>> others = new ArrayList<>();
        for (int s = 1; s < shares; s++) {
            List<Integer> share = dealt.get(s);
            others.add(CompletableFuture.runAsync(() -> share.forEach(i -> results[i] = work.apply(items.get(i)))));
        }
        dealt.get(0).forEach(i -> results[i] = work.apply(items.get(i)));
        try {
            CompletableFuture.allOf(others.toArray(CompletableFuture[]::new)).join();
        } catch (CompletionException e) {
            throw e.getCause() instanceof RuntimeException r ? r : e;
        }
        List<R> out = new ArrayList<>(items.size());
        for (Object r : results) {
            @SuppressWarnings("unchecked")
            R typed = (R) r;
            out.add(typed);
        }
        return out;
    }
}

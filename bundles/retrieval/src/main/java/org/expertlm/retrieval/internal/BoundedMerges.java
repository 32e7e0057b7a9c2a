package org.expertlm.retrieval.internal;

import java.io.IOException;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;

import org.apache.lucene.index.FilterMergePolicy;
import org.apache.lucene.index.MergePolicy;
import org.apache.lucene.index.MergeTrigger;
import org.apache.lucene.index.SegmentCommitInfo;
import org.apache.lucene.index.SegmentInfos;

/**
 * Keeps every segment the library index merges from several at most {@code maxDocuments} live documents: each segment
 * carries its own HNSW graph, and a graph finds less of what is nearest the larger it grows (bench/retrieval: recall@1
 * 0.95 in one graph of a million vectors however long the search). Lucene's own policy picks the merges as the index
 * grows; those of several segments that would make a larger one are left out (one segment rewritten alone, to drop
 * its deletions, is kept). A forced merge (the library's compaction) packs the segments first fit, largest first,
 * into segments of at most {@code maxDocuments}, and rewrites alone a segment that has deletions; it never splits
 * one, so a segment already larger (an index compacted before this bound) stays as large until the index is rebuilt.
 * Whatever {@code maxSegmentCount} it is asked for, the bound decides.
 */
final class BoundedMerges extends FilterMergePolicy {

    private final long maxDocuments;

    BoundedMerges(MergePolicy in, long maxDocuments) {
        super(in);
        if (maxDocuments < 1) {
            throw new IllegalArgumentException("a segment must hold at least one document, not " + maxDocuments);
        }
        this.maxDocuments = maxDocuments;
    }

    @Override
    public MergeSpecification findMerges(MergeTrigger trigger, SegmentInfos infos, MergeContext context) throws IOException {
        return bounded(super.findMerges(trigger, infos, context), context);
    }

    @Override
    public MergeSpecification findFullFlushMerges(MergeTrigger trigger, SegmentInfos infos, MergeContext context)
            throws IOException {
        return bounded(super.findFullFlushMerges(trigger, infos, context), context);
    }

    @Override
    public MergeSpecification findForcedMerges(SegmentInfos infos, int maxSegmentCount,
            Map<SegmentCommitInfo, Boolean> segmentsToMerge, MergeContext context) throws IOException {
        List<SegmentCommitInfo> eligible = new ArrayList<>();
        for (SegmentCommitInfo info : infos) {
            if (segmentsToMerge.containsKey(info) && !context.getMergingSegments().contains(info)) {
                eligible.add(info);
            }
        }
        long[] sizes = new long[eligible.size()];
        for (int i = 0; i < sizes.length; i++) {
            sizes[i] = live(eligible.get(i), context);
        }
        MergeSpecification spec = new MergeSpecification();
        for (List<Integer> bin : pack(sizes, maxDocuments)) {
            if (bin.size() > 1 || context.numDeletesToMerge(eligible.get(bin.get(0))) > 0) {
                spec.add(new OneMerge(bin.stream().map(eligible::get).toList()));
            }
        }
        return spec.merges.isEmpty() ? null : spec;
    }

    @Override
    public MergeSpecification findForcedDeletesMerges(SegmentInfos infos, MergeContext context) throws IOException {
        return bounded(super.findForcedDeletesMerges(infos, context), context);
    }

    /** {@code spec} without the merges whose segment would hold more than {@link #maxDocuments}; null when none is left. */
    private MergeSpecification bounded(MergeSpecification spec, MergeContext context) throws IOException {
        if (spec == null) {
            return null;
        }
        MergeSpecification kept = new MergeSpecification();
        for (OneMerge merge : spec.merges) {
            long documents = 0;
            for (SegmentCommitInfo info : merge.segments) {
                documents += live(info, context);
            }
            if (documents <= maxDocuments || merge.segments.size() == 1) {
                kept.add(merge);
            }
        }
        return kept.merges.isEmpty() ? null : kept;
    }

    private static long live(SegmentCommitInfo info, MergeContext context) throws IOException {
        return info.info.maxDoc() - context.numDeletesToMerge(info);
    }

    /**
     * The indexes of {@code sizes} packed into bins of at most {@code capacity} (first fit, largest first); a size
     * larger than the capacity gets a bin of its own.
     */
    static List<List<Integer>> pack(long[] sizes, long capacity) {
        List<Integer> order = new ArrayList<>();
        for (int i = 0; i < sizes.length; i++) {
            order.add(i);
        }
        order.sort(Comparator.comparingLong((Integer i) -> sizes[i]).reversed());
        List<List<Integer>> bins = new ArrayList<>();
        List<Long> filled = new ArrayList<>();
        for (int i : order) {
            int bin = 0;
            while (bin < bins.size() && filled.get(bin) + sizes[i] > capacity) {
                bin++;
            }
            if (bin == bins.size()) {
                bins.add(new ArrayList<>());
                filled.add(0L);
            }
            bins.get(bin).add(i);
            filled.set(bin, filled.get(bin) + sizes[i]);
        }
        return bins;
    }
}

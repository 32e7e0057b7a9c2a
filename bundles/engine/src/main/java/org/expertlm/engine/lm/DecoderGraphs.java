package org.expertlm.engine.lm;

import java.util.ArrayList;
import java.util.List;

import org.expertlm.engine.graph.SideBySide;
import org.nd4j.autodiff.samediff.SameDiff;

/**
 * A model's graph and its replicas over the same weights, one per worker of the engine, so that the
 * parts of a training step run side by side (see {@link SideBySide}); scoring needs no replicas (see
 * {@link DirectScorer}).
 */
public final class DecoderGraphs {

    private final List<DecoderLm> graphs;
    private final SideBySide workers;

    private DecoderGraphs(List<DecoderLm> graphs, SideBySide workers) {
        this.graphs = List.copyOf(graphs);
        this.workers = workers;
    }

    /** {@code lm} and as many replicas of it as {@code workers} has threads beyond the first. */
    public static DecoderGraphs of(DecoderLm lm, SideBySide workers) {
        List<DecoderLm> graphs = new ArrayList<>();
        graphs.add(lm);
        for (int i = 1; i < workers.threads(); i++) {
            graphs.add(lm.replica());
        }
        return new DecoderGraphs(graphs, workers);
    }

    /** {@code lm} alone, with the workers its callers share (work that needs no replicas: the direct scorer and trainer). */
    public static DecoderGraphs alone(DecoderLm lm, SideBySide workers) {
        return new DecoderGraphs(List.of(lm), workers);
    }

    /** The original graph: the one whose weights are read, written and freed. */
    public DecoderLm lm() {
        return graphs.get(0);
    }

    public List<DecoderLm> graphs() {
        return graphs;
    }

    public List<SameDiff> sameDiffs() {
        return graphs.stream().map(DecoderLm::graph).toList();
    }

    public SideBySide workers() {
        return workers;
    }

    /** How many pieces of work run at once. */
    public int size() {
        return graphs.size();
    }
}

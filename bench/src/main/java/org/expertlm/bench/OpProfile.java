package org.expertlm.bench;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import org.nd4j.autodiff.listeners.At;
import org.nd4j.autodiff.listeners.BaseListener;
import org.nd4j.autodiff.listeners.Operation;
import org.nd4j.autodiff.samediff.SameDiff;
import org.nd4j.autodiff.samediff.internal.SameDiffOp;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.api.ops.OpContext;
import org.nd4j.linalg.dataset.api.MultiDataSet;

/**
 * Time spent inside each kind of SameDiff operation, and how often it ran: what is left of a phase's
 * wall time beyond the operations' own time is the session's bookkeeping between them.
 */
final class OpProfile extends BaseListener {

    private final Map<String, long[]> byOp = new HashMap<>();
    private final boolean byShape;
    private long started;

    /** By operation kind, or by kind and input shapes when {@code byShape}. */
    OpProfile(boolean byShape) {
        this.byShape = byShape;
    }

    /** Listens to {@code sd} and to its gradient function, if it has one. */
    void attach(SameDiff sd) {
        sd.addListeners(this);
        SameDiff gradients = sd.getFunction("grad");
        if (gradients != null) {
            gradients.addListeners(this);
        }
    }

    void reset() {
        byOp.clear();
    }

    @Override
    public boolean isActive(Operation operation) {
        return true;
    }

    @Override
    public void preOpExecution(SameDiff sd, At at, SameDiffOp op, OpContext context) {
        started = System.nanoTime();
    }

    @Override
    public void opExecution(SameDiff sd, At at, MultiDataSet batch, SameDiffOp op, OpContext context, INDArray[] outputs) {
        StringBuilder key = new StringBuilder(op.getOp().opName());
        for (int i = 0; byShape && context != null && i < context.numInputArguments(); i++) {
            key.append(' ').append(Arrays.toString(context.getInputArray(i).shape()));
        }
        long[] entry = byOp.computeIfAbsent(key.toString(), k -> new long[2]);
        entry[0] += System.nanoTime() - started;
        entry[1]++;
    }

    /** Prints the operations by total time, largest first, against the phase's wall time. */
    void print(String phase, double wallSeconds, int repeats) {
        List<Map.Entry<String, long[]>> entries = new ArrayList<>(byOp.entrySet());
        entries.sort((a, b) -> Long.compare(b.getValue()[0], a.getValue()[0]));
        long inside = entries.stream().mapToLong(e -> e.getValue()[0]).sum();
        long count = entries.stream().mapToLong(e -> e.getValue()[1]).sum();
        System.out.printf("profile of %s: %.3f s per run, %.3f s of it inside %d operations (%.0f µs between operations each)%n",
                phase, wallSeconds / repeats, inside / 1e9 / repeats, count / repeats,
                (wallSeconds * 1e9 - inside) / 1e3 / count);
        for (Map.Entry<String, long[]> e : entries.subList(0, Math.min(byShape ? 40 : 15, entries.size()))) {
            String row = "  %-" + (byShape ? 60 : 28) + "s %7.1f ms per run  %5d calls  %7.1f µs each%n";
            System.out.printf(row, e.getKey(), e.getValue()[0] / 1e6 / repeats,
                    e.getValue()[1] / repeats, e.getValue()[0] / 1e3 / e.getValue()[1]);
        }
    }
}

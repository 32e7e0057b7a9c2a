package org.expertlm.engine.graph;

import java.util.Map;

import org.nd4j.autodiff.samediff.SDVariable;
import org.nd4j.autodiff.samediff.SameDiff;
import org.nd4j.autodiff.samediff.VariableType;
import org.nd4j.autodiff.samediff.config.SDValue;
import org.nd4j.autodiff.samediff.config.SDValueType;
import org.nd4j.autodiff.samediff.internal.AbstractSession;
import org.nd4j.autodiff.samediff.internal.InferenceSession;
import org.nd4j.autodiff.samediff.internal.memory.AbstractMemoryMgr;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.api.shape.LongShapeDescriptor;
import org.nd4j.linalg.factory.Nd4j;

/**
 * A SameDiff session memory manager that frees an intermediate array as soon as the session releases
 * it. SameDiff's default keeps released arrays in a cache of up to a quarter of the off-heap limit
 * per session, and SameDiff keeps a session per graph and thread: an expert's training (encoder
 * workers, the scoring graph, the training graph and its gradient function) held 6 GB that way.
 * What the default does not cache is left to the garbage collector; that memory is off the Java heap,
 * so a small heap rarely collects, and a training run grew to the physical-memory cap that way.
 */
public final class ClosingMemoryManager extends AbstractMemoryMgr {

    /**
     * Gives the calling thread's sessions of {@code sd} and of its gradient function this manager,
     * making them if the thread has none yet (SameDiff makes a session per thread on its first run).
     * Call it before running a graph; cheap when the manager is already there.
     */
    public static void installForThisThread(SameDiff sd) {
        installIn(sd);
        SameDiff gradients = sd.getFunction("grad");
        if (gradients != null) {
            installIn(gradients);
        }
    }

    /**
     * Frees the operation outputs that the calling thread's session of {@code sd}'s gradient function
     * still holds after a training step. A session releases an array to its manager only once every
     * operation reading it has run, and most of what a gradient run computes is never released that
     * way: it waited for the garbage collector (a step left about a GB behind, and steps slowed up to
     * 5x while it piled up). Call it once the step's loss and gradients have been read; the arrays it
     * returned are freed too. Variables, constants and placeholders are not touched.
     */
    public static void freeGradientRun(SameDiff sd) {
        SameDiff gradients = sd.getFunction("grad");
        if (gradients != null) {
            freeIn(gradients);
        }
    }

    private static void freeIn(SameDiff sd) {
        InferenceSession session = sd.getSessions().get(Thread.currentThread().getId());
        if (session == null) {
            return;
        }
        for (Map.Entry<AbstractSession.VarId, SDValue> e : session.getNodeValueOutputs().entrySet()) {
            SDVariable variable = sd.getVariable(e.getKey().getVariable());
            if (variable != null && variable.getVariableType() == VariableType.ARRAY && e.getValue() != null
                    && e.getValue().getSdValueType() == SDValueType.TENSOR) {
                free(e.getValue().getTensorValue());
            }
        }
        session.getNodeValueOutputs().clear();
    }

    private static void installIn(SameDiff sd) {
        InferenceSession session = sd.getSessions().computeIfAbsent(Thread.currentThread().getId(), id -> new InferenceSession(sd));
        if (!(session.getMmgr() instanceof ClosingMemoryManager)) {
            session.setMmgr(new ClosingMemoryManager());
        }
    }

    @Override
    public INDArray allocate(boolean detached, DataType dataType, long... shape) {
        return Nd4j.createUninitialized(dataType, shape);
    }

    @Override
    public INDArray allocate(boolean detached, LongShapeDescriptor descriptor) {
        return Nd4j.create(descriptor, false);
    }

    private static void free(INDArray array) {
        if (array != null && !array.wasClosed() && array.closeable()) {
            array.close();
        }
    }

    @Override
    public void release(INDArray array) {
        free(array);
    }

    @Override
    public void close() {
    }
}

package org.expertlm.engine.graph;

import org.nd4j.autodiff.samediff.SameDiff;
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

    @Override
    public void release(INDArray array) {
        if (array != null && !array.wasClosed() && array.closeable()) {
            array.close();
        }
    }

    @Override
    public void close() {
    }
}

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
 * it. SameDiff's default keeps released arrays in a bounded cache and leaves the rest to the garbage
 * collector; their memory is off the Java heap, so a small heap rarely collects, and a training run
 * (hundreds of MB of activations and gradients per step) grew to the physical-memory cap that way.
 */
public final class ClosingMemoryManager extends AbstractMemoryMgr {

    /** Puts this manager into every session of {@code sd} and of its gradient function; cheap when already there. */
    public static void install(SameDiff sd) {
        installIn(sd);
        SameDiff gradients = sd.getFunction("grad");
        if (gradients != null) {
            installIn(gradients);
        }
    }

    private static void installIn(SameDiff sd) {
        for (InferenceSession session : sd.getSessions().values()) {
            if (!(session.getMmgr() instanceof ClosingMemoryManager)) {
                session.setMmgr(new ClosingMemoryManager());
            }
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

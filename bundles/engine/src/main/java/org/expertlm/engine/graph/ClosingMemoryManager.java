package org.expertlm.engine.graph;

import java.util.ArrayDeque;
import java.util.Arrays;
import java.util.Collections;
import java.util.HashMap;
import java.util.IdentityHashMap;
import java.util.Map;
import java.util.Set;

import org.nd4j.autodiff.samediff.SDVariable;
import org.nd4j.autodiff.samediff.SameDiff;
import org.nd4j.autodiff.samediff.VariableType;
import org.nd4j.autodiff.samediff.config.SDValue;
import org.nd4j.autodiff.samediff.config.SDValueType;
import org.nd4j.autodiff.samediff.internal.AbstractSession;
import org.nd4j.autodiff.samediff.internal.InferenceSession;
import org.nd4j.autodiff.samediff.internal.memory.AbstractMemoryMgr;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.BaseNDArray;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.api.shape.LongShapeDescriptor;
import org.nd4j.linalg.factory.Nd4j;

/**
 * A SameDiff session memory manager that keeps a bounded set of released arrays for the session's next
 * outputs of the same type and shape, and frees the rest as soon as the session releases them.
 * SameDiff's default keeps released arrays in a cache of up to a quarter of the off-heap limit per
 * session, and SameDiff keeps a session per graph and thread: an expert's training (encoder workers,
 * the scoring graph, the training graph and its gradient function) held 6 GB that way. What the
 * default does not cache is left to the garbage collector; that memory is off the Java heap, so a
 * small heap rarely collects, and a training run grew to the physical-memory cap that way. Keeping
 * none at all costs time instead: a fresh array costs about as much as one pass over it (ND4J
 * allocates and fills its buffer), and a training step makes about a thousand.
 */
public final class ClosingMemoryManager extends AbstractMemoryMgr {

    /**
     * At most this many bytes of released arrays are kept for reuse by a session of
     * {@link #installForThisThread(SameDiff)}: a graph's session keeps them while the graph lives.
     */
    private static final long SPARE_BYTES = 128L << 20;

    private final long bound;

    private final Map<String, ArrayDeque<INDArray>> spare = new HashMap<>();
    private final Set<INDArray> kept = Collections.newSetFromMap(new IdentityHashMap<>());
    /** The kept arrays, the most recently released first: the oldest go first when the bound is reached. */
    private final ArrayDeque<INDArray> recency = new ArrayDeque<>();
    private long spareBytes;

    public ClosingMemoryManager() {
        this(SPARE_BYTES);
    }

    /** A manager keeping at most {@code bound} bytes of released arrays. */
    ClosingMemoryManager(long bound) {
        this.bound = bound;
    }

    /**
     * Gives the calling thread's sessions of {@code sd} and of its gradient function this manager,
     * making them if the thread has none yet (SameDiff makes a session per thread on its first run).
     * Call it before running a graph; cheap when the manager is already there.
     */
    public static void installForThisThread(SameDiff sd) {
        installForThisThread(sd, SPARE_BYTES);
    }

    /**
     * The same with at most {@code spareBytes} kept for reuse per session; 0 frees every released array
     * at once (for graphs that sit idle between uses, such as the encoder's workers).
     */
    public static void installForThisThread(SameDiff sd, long spareBytes) {
        installIn(sd, spareBytes);
        SameDiff gradients = sd.getFunction("grad");
        if (gradients != null) {
            installIn(gradients, spareBytes);
        }
    }

    /**
     * Releases the operation outputs that the calling thread's session of {@code sd}'s gradient function
     * still holds after a training step (kept for the next step up to the bound, freed beyond it). A
     * session releases an array to its manager only once every operation reading it has run, and most
     * of what a gradient run computes is never released that way: it waited for the garbage collector
     * (a step left about a GB behind, and steps slowed up to 5x while it piled up). Call it once the
     * step's loss and gradients have been read; the arrays it returned are released too. Variables,
     * constants and placeholders are not touched.
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
        ClosingMemoryManager manager = session.getMmgr() instanceof ClosingMemoryManager m ? m : null;
        for (Map.Entry<AbstractSession.VarId, SDValue> e : session.getNodeValueOutputs().entrySet()) {
            SDVariable variable = sd.getVariable(e.getKey().getVariable());
            if (variable != null && variable.getVariableType() == VariableType.ARRAY && e.getValue() != null
                    && e.getValue().getSdValueType() == SDValueType.TENSOR) {
                if (manager != null) {
                    manager.release(e.getValue().getTensorValue());
                } else {
                    free(e.getValue().getTensorValue());
                }
            }
        }
        session.getNodeValueOutputs().clear();
    }

    private static void installIn(SameDiff sd, long spareBytes) {
        InferenceSession session = sd.getSessions().computeIfAbsent(Thread.currentThread().getId(), id -> new InferenceSession(sd));
        if (!(session.getMmgr() instanceof ClosingMemoryManager)) {
            session.setMmgr(new ClosingMemoryManager(spareBytes));
        }
    }

    @Override
    public INDArray allocate(boolean detached, DataType dataType, long... shape) {
        INDArray reused = reuse(key(dataType, 'c', shape));
        return reused != null ? reused : Nd4j.createUninitialized(dataType, shape);
    }

    @Override
    public INDArray allocate(boolean detached, LongShapeDescriptor descriptor) {
        INDArray reused = reuse(key(descriptor.dataType(), descriptor.getOrder(), descriptor.getShape()));
        return reused != null ? reused : Nd4j.create(descriptor, false);
    }

    /**
     * Keeps {@code array} for a later output of its type and shape, freeing the arrays kept longest
     * when the spare bytes would pass the bound (shapes change from batch to batch, and the
     * latest are the likeliest to come again). Only arrays that own their whole buffer are kept (never a
     * view, whose buffer is another array's), and each at most once.
     */
    @Override
    public void release(INDArray array) {
        if (array == null || array.wasClosed() || kept.contains(array)) {
            return;
        }
        long bytes = array.length() * array.dataType().width();
        boolean reusable = array.closeable() && !array.isView() && array.data().length() == array.length()
                && array.dataType().isNumerical() && (array.ordering() == 'c' || array.ordering() == 'f');
        if (!reusable || bytes > bound) {
            free(array);
            return;
        }
        while (spareBytes + bytes > bound) {
            INDArray oldest = recency.pollLast();
            spare.get(key(oldest)).removeIf(a -> a == oldest);
            forget(oldest);
            free(oldest);
        }
        spare.computeIfAbsent(key(array), k -> new ArrayDeque<>()).push(array);
        recency.push(array);
        kept.add(array);
        spareBytes += bytes;
    }

    private INDArray reuse(String key) {
        ArrayDeque<INDArray> arrays = spare.get(key);
        INDArray array = arrays == null ? null : arrays.poll();
        if (array == null) {
            return null;
        }
        recency.removeIf(a -> a == array);
        forget(array);
        // A new identity, as SameDiff's own cache gives: the session tracks arrays by id.
        ((BaseNDArray) array).assignNewId();
        return array;
    }

    private void forget(INDArray array) {
        kept.remove(array);
        spareBytes -= array.length() * array.dataType().width();
    }

    private static String key(INDArray array) {
        return key(array.dataType(), array.ordering(), array.shape());
    }

    private static String key(DataType type, char order, long[] shape) {
        return type + "/" + order + Arrays.toString(shape);
    }

    private static void free(INDArray array) {
        if (array != null && !array.wasClosed() && array.closeable()) {
            array.close();
        }
    }

    /** Frees the arrays kept for reuse. */
    @Override
    public void close() {
        spare.values().forEach(arrays -> arrays.forEach(ClosingMemoryManager::free));
        spare.clear();
        recency.clear();
        kept.clear();
        spareBytes = 0;
    }
}

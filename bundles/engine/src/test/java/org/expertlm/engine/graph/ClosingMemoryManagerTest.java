package org.expertlm.engine.graph;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertNotSame;
import static org.junit.Assert.assertSame;
import static org.junit.Assert.assertTrue;

import java.util.Map;

import org.junit.Test;
import org.nd4j.autodiff.samediff.SDVariable;
import org.nd4j.autodiff.samediff.SameDiff;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/** Released arrays kept for reuse within a bound, the oldest freed first, views never; graphs computing the same with reuse. */
public class ClosingMemoryManagerTest {

    @Test
    public void aReleasedArrayServesTheNextOutputOfItsTypeAndShape() {
        ClosingMemoryManager manager = new ClosingMemoryManager();
        INDArray first = manager.allocate(false, DataType.FLOAT, 3, 4);
        manager.release(first);
        manager.release(first); // twice: kept once
        assertSame(first, manager.allocate(false, DataType.FLOAT, 3, 4));
        assertNotSame(first, manager.allocate(false, DataType.FLOAT, 3, 4));
        INDArray other = manager.allocate(false, DataType.FLOAT, 4, 3);
        manager.release(other);
        assertNotSame("another shape is a fresh array", other, manager.allocate(false, DataType.FLOAT, 2, 6));
    }

    @Test
    public void viewsAndArraysBeyondTheBoundAreFreedNotKept() {
        ClosingMemoryManager manager = new ClosingMemoryManager();
        INDArray base = Nd4j.create(DataType.FLOAT, 4, 4);
        INDArray view = base.getRow(1);
        manager.release(view);
        assertTrue("a view is left to its owner", !view.wasClosed() && !base.wasClosed());
        manager.close();
        ClosingMemoryManager small = new ClosingMemoryManager(400);
        INDArray large = small.allocate(false, DataType.FLOAT, 101);
        small.release(large);
        assertTrue("an array beyond the bound is freed", large.wasClosed());
    }

    @Test
    public void theArraysKeptLongestAreFreedFirstWhenTheBoundIsReached() {
        ClosingMemoryManager manager = new ClosingMemoryManager(400);
        INDArray older = manager.allocate(false, DataType.FLOAT, 60);
        INDArray newer = manager.allocate(false, DataType.FLOAT, 50);
        manager.release(older);
        manager.release(newer);
        assertTrue("240 + 200 bytes pass the bound of 400: the older goes", older.wasClosed());
        assertSame(newer, manager.allocate(false, DataType.FLOAT, 50));
    }

    @Test
    public void aGraphRunRepeatedlyWithReusedArraysGivesTheSameResults() {
        SameDiff sd = SameDiff.create();
        SDVariable x = sd.placeHolder("x", DataType.FLOAT, -1, 8);
        SDVariable w = sd.constant(Nd4j.randn(3, new long[] {8, 8}).castTo(DataType.FLOAT));
        SDVariable h = x;
        for (int layer = 0; layer < 4; layer++) {
            h = sd.math.tanh(sd.mmul(h, w)).add(h);
        }
        h.rename("y");
        ClosingMemoryManager.installForThisThread(sd);
        INDArray in = Nd4j.randn(4, new long[] {5, 8}).castTo(DataType.FLOAT);
        INDArray expected = sd.output(Map.of("x", in), "y").get("y").dup();
        for (int run = 0; run < 5; run++) {
            INDArray other = Nd4j.randn(10 + run, new long[] {5, 8}).castTo(DataType.FLOAT);
            sd.output(Map.of("x", other), "y");
            assertEquals(expected, sd.output(Map.of("x", in), "y").get("y"));
        }
    }
}

package org.expertlm.engine.internal;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertTrue;

import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

import org.expertlm.api.TrainingJob;
import org.junit.Test;

/** The trainer's jobs: as many at once as configured, never two for the same model. */
public class TrainingJobsTest {

    @Test
    public void twoJobsRunAtOnceWhenTwoAreAllowed() throws Exception {
        TrainingJobs jobs = new TrainingJobs(2);
        CountDownLatch both = new CountDownLatch(2);
        // Each body waits for the other to start: they can only finish if they run at the same time.
        TrainingJobs.Body<Boolean> meetTheOther = job -> {
            both.countDown();
            return both.await(20, TimeUnit.SECONDS);
        };
        TrainingJob<Boolean> a = jobs.submit("expert a", meetTheOther);
        TrainingJob<Boolean> b = jobs.submit("expert b", meetTheOther);
        assertTrue(a.await());
        assertTrue(b.await());
        jobs.shutdown(1000);
    }

    @Test
    public void withOneAllowedTheSecondJobWaitsInTheQueue() throws Exception {
        TrainingJobs jobs = new TrainingJobs(1);
        CountDownLatch started = new CountDownLatch(1);
        CountDownLatch release = new CountDownLatch(1);
        TrainingJob<String> first = jobs.submit("expert a", untilReleased(started, release));
        TrainingJob<String> second = jobs.submit("expert b", job -> "b");
        assertTrue(started.await(20, TimeUnit.SECONDS));
        assertEquals(TrainingJob.State.RUNNING, first.state());
        assertEquals(TrainingJob.State.QUEUED, second.state());
        release.countDown();
        assertEquals("b", second.await());
        assertEquals(TrainingJob.State.SUCCEEDED, first.state());
        jobs.shutdown(1000);
    }

    @Test
    public void aSecondJobForTheSameModelStartsOnlyOnceTheFirstHasStopped() throws Exception {
        TrainingJobs jobs = new TrainingJobs(2);
        CountDownLatch release = new CountDownLatch(1);
        CountDownLatch started = new CountDownLatch(1);
        TrainingJob<String> first = jobs.submit("expert a", untilReleased(started, release));
        TrainingJob<TrainingJob.State> second = jobs.submit("expert a", job -> first.state());
        TrainingJob<String> other = jobs.submit("expert b", job -> "other");
        assertTrue(started.await(20, TimeUnit.SECONDS));
        assertEquals("another model trains beside it", "other", other.await());
        release.countDown();
        assertEquals("the first had ended when the second began", TrainingJob.State.SUCCEEDED, second.await());
        jobs.shutdown(1000);
    }

    /** A job that says it started, then runs until {@code release}. */
    private static TrainingJobs.Body<String> untilReleased(CountDownLatch started, CountDownLatch release) {
        return job -> {
            started.countDown();
            release.await(20, TimeUnit.SECONDS);
            return "released";
        };
    }
}

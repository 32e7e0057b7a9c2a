package org.expertlm.console.internal;

import java.util.List;

/**
 * What {@code elm:jobs} returns: the trainer's jobs, newest first.
 *
 * @param jobs each job's subject and state
 */
record JobsReport(List<Job> jobs) {

    /**
     * @param what what it trains
     * @param state queued, running, succeeded, failed or cancelled
     */
    record Job(String what, String state) {
    }
}

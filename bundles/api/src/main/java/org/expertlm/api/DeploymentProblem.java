package org.expertlm.api;

import java.util.Objects;

/**
 * Something in the deploy folder that did not become an active bundle, with the reason and a fix.
 *
 * @param artifact the file name in the deploy folder, or the bundle location when it has no file
 * @param bundleId the installed bundle's id, or {@code -1} when it could not be installed
 * @param state the bundle state ({@code INSTALLED}, {@code RESOLVED}, …) or {@code NOT_INSTALLED}
 * @param reason what is wrong, in one sentence
 * @param fix what the user should do about it
 */
public record DeploymentProblem(String artifact, long bundleId, String state, String reason, String fix) {

    /** Validates that every text is present. */
    public DeploymentProblem {
        Objects.requireNonNull(artifact, "artifact");
        Objects.requireNonNull(state, "state");
        Objects.requireNonNull(reason, "reason");
        Objects.requireNonNull(fix, "fix");
    }
}

package org.expertlm.api;

import java.io.IOException;
import java.nio.file.Path;
import java.util.List;

import org.osgi.annotation.versioning.ProviderType;

/**
 * The expert bundles the container holds: those installed as experts, and those refused with the reason.
 * Several versions of one expert may be installed; one is active, the one requests for its id are
 * answered with: the pinned version when there is one, else the highest installed. Pins are kept
 * across restarts. Changes go through the deploy folder, so that what is installed is what the folder
 * holds:
 *
 * <pre>{@code
 * registry.upgrade("spam.yes-no", Path.of("spam.yes-no-1.1.0.jar"));   // 1.1.0 answers once this returns
 * registry.rollback("spam.yes-no");                                    // 1.0.0 answers again
 * registry.pin("spam.yes-no", "1.0.0");                                // and keeps answering after upgrades
 * }</pre>
 */
@ProviderType
public interface ExpertRegistry {

    /**
     * Every expert bundle seen and still installed, in the order they were installed, then the jars of
     * the deploy folder that could not be installed as bundles at all (refused, bundle id -1).
     */
    List<ExpertBundle> bundles();

    /**
     * The expert jars of the deploy folder the registry has not taken up yet, neither installed nor refused (a jar
     * just dropped in, or every jar while the container starts), by file name.
     */
    List<String> pending();

    /**
     * The version of {@code id} that answers now.
     *
     * @throws IllegalArgumentException when no version of it is installed (the message lists what is)
     */
    Expert active(String id);

    /**
     * One installed version.
     *
     * @throws IllegalArgumentException when that version is not installed (the message lists those that are)
     */
    Expert expert(String id, String version);

    /**
     * Puts an expert bundle jar of {@code id} into the deploy folder, atomically, and returns once it is
     * installed and active (the version before it keeps answering until then, and stays installed for
     * {@link #rollback}).
     *
     * @throws IllegalArgumentException when the jar is not a bundle of {@code id}, its version is not
     *     higher than every installed one, or {@code id} is pinned
     * @throws IllegalStateException when the registry refused it (the jar is taken out of the deploy
     *     folder again, nothing else changed; the message gives the reason) or it was not installed in time
     */
    ExpertBundle upgrade(String id, Path jar) throws IOException, InterruptedException;

    /**
     * Takes the active version of {@code id} out of the deploy folder (kept in the registry's retired
     * folder, from which it can be upgraded to again) and returns once the previous version answers.
     *
     * @return the version that answers now
     * @throws IllegalArgumentException when there is no lower version installed to return to, or {@code id} is pinned
     */
    ExpertBundle rollback(String id) throws IOException, InterruptedException;

    /**
     * Makes {@code version} the active version of {@code id} whatever else is installed, until
     * {@link #unpin}; kept across restarts.
     *
     * @throws IllegalArgumentException when that version is not installed
     */
    ExpertBundle pin(String id, String version) throws IOException;

    /**
     * Lets the highest installed version of {@code id} answer again.
     *
     * @throws IllegalArgumentException when {@code id} is not pinned
     */
    ExpertBundle unpin(String id) throws IOException;
}

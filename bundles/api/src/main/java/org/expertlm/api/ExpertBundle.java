package org.expertlm.api;

import java.util.Objects;

/**
 * An expert bundle as the registry sees it.
 *
 * @param bundleId the OSGi bundle id
 * @param location where it was installed from
 * @param id the bundle's symbolic name (the expert id, when it is one)
 * @param version the bundle's version
 * @param state {@code installed} (its {@link Expert} service is registered) or {@code refused}
 * @param reason why it was refused, what was expected and how to fix it; empty when installed
 * @param expert its description; null when refused before it could be read
 * @param cluster its dataset's cluster, from its capability; empty when refused
 * @param bytes the size of its adapter tensors; 0 when refused before they were read
 * @param active true for the version of its id that answers requests now
 * @param pinned true when this version is pinned ({@link ExpertRegistry#pin})
 * @param library what its library holds and whose vectors they are; empty when refused
 */
public record ExpertBundle(long bundleId, String location, String id, String version, String state, String reason,
        ExpertDescriptor expert, String cluster, long bytes, boolean active, boolean pinned, String library) {

    public static final String INSTALLED = "installed";
    public static final String REFUSED = "refused";

    public ExpertBundle {
        Objects.requireNonNull(location, "location");
        Objects.requireNonNull(id, "id");
        Objects.requireNonNull(version, "version");
        Objects.requireNonNull(state, "state");
        Objects.requireNonNull(reason, "reason");
        Objects.requireNonNull(cluster, "cluster");
        Objects.requireNonNull(library, "library");
    }

    /** {@code id@version}. */
    public String name() {
        return id + "@" + version;
    }

    /** This bundle as active (or not) and pinned (or not). */
    public ExpertBundle withVersionState(boolean isActive, boolean isPinned) {
        return new ExpertBundle(bundleId, location, id, version, state, reason, expert, cluster, bytes, isActive, isPinned, library);
    }
}

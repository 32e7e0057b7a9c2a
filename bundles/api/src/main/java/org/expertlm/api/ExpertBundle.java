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
 */
public record ExpertBundle(long bundleId, String location, String id, String version, String state, String reason,
        ExpertDescriptor expert, String cluster, long bytes) {

    public static final String INSTALLED = "installed";
    public static final String REFUSED = "refused";

    public ExpertBundle {
        Objects.requireNonNull(location, "location");
        Objects.requireNonNull(id, "id");
        Objects.requireNonNull(version, "version");
        Objects.requireNonNull(state, "state");
        Objects.requireNonNull(reason, "reason");
        Objects.requireNonNull(cluster, "cluster");
    }
}

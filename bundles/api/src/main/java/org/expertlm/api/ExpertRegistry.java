package org.expertlm.api;

import java.util.List;

import org.osgi.annotation.versioning.ProviderType;

/** The expert bundles the container holds: those installed as experts, and those refused with the reason. */
@ProviderType
public interface ExpertRegistry {

    /** Every expert bundle seen and still installed, in the order they were installed. */
    List<ExpertBundle> bundles();
}

package org.expertlm.api;

import java.io.IOException;

import org.osgi.annotation.versioning.ProviderType;

/**
 * An expert an installed expert bundle holds, registered as a service by the expert registry once the
 * bundle has been validated, with the properties named below. Its tensors stay in the bundle until asked
 * for.
 */
@ProviderType
public interface Expert {

    /** Service property: the expert's id (the bundle's symbolic name). */
    String ID = "expert.id";
    /** Service property: its version, major.minor.micro. */
    String VERSION = "expert.version";
    /** Service property: what it learned (a template id, a dataset id or multitask). */
    String TASK = "expert.task";
    /** Service property: the cluster of its dataset ({@code mixed} for the multitask baseline). */
    String CLUSTER = "expert.cluster";
    /** Service property: prompt, dataset or multitask. */
    String KIND = "expert.kind";
    /** Service property: the id of the base model it adapts. */
    String BASE = "expert.base";

    ExpertDescriptor descriptor();

    /**
     * The adapter tensors, read from the bundle now.
     *
     * @throws ModelFormatException when they are no longer the tensors the description names
     */
    AdapterTensors tensors() throws IOException;
}

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
    /**
     * Service property: {@code true} on the one version of an id that answers requests now (the pinned
     * one, else the highest installed), {@code false} on the others. Changes as versions come and go.
     */
    String ACTIVE = "expert.active";

    ExpertDescriptor descriptor();

    /**
     * The adapter tensors, read from the bundle when they are not held in memory. A request starts on a
     * version when it has its tensors: it then finishes on that version whatever is installed meanwhile.
     *
     * @throws ModelFormatException when they are no longer the tensors the description names
     * @throws IllegalStateException when the bundle was uninstalled and its tensors are no longer held:
     *     ask the registry for the active version again
     */
    AdapterTensors tensors() throws IOException;

    /**
     * The expert's library, its vectors those of the installed sentence encoder (recomputed at install
     * when the bundle's came from another encoder).
     */
    ExpertLibrary library();
}

package org.expertlm.api;

import java.util.List;

import org.osgi.annotation.versioning.ProviderType;

/**
 * The models on this machine: the base models (shipped with the distribution, or trained here) and
 * the experts trained here. Models are named, never located: by id, id@version or content digest.
 * What is trained here lives outside the build's output, in the folder the launcher names
 * ({@link ContainerProperties#USER_MODELS_DIR}), so that a rebuild never deletes it.
 */
@ProviderType
public interface ModelStore {

    /** Where the models trained here are kept, for people to find them (never needed to open one). */
    String location();

    /** Every base model, by id. */
    List<BaseModelRef> baseModels();

    /**
     * The base model with this id, or with this name (the part before {@code @}) when one has it.
     *
     * @throws IllegalArgumentException when none has (the message lists those there are)
     */
    BaseModelRef baseModel(String idOrName);

    /** Every expert trained here, by id. */
    List<ExpertDescriptor> experts();

    /**
     * The expert with this id ({@code id} or {@code id@version}).
     *
     * @throws IllegalArgumentException when there is none (the message lists those there are)
     */
    ExpertDescriptor expert(String id);

    /**
     * The expert's tensors, checked against its descriptor's digest.
     *
     * @throws ModelFormatException when they are not the tensors the descriptor names
     */
    AdapterTensors tensors(ExpertDescriptor expert) throws ModelFormatException;
}

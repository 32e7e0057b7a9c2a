package org.expertlm.api;

import java.util.Collection;
import java.util.List;

import org.osgi.annotation.versioning.ProviderType;

/**
 * Trains models as jobs: a request (what to train, its settings, the base model) in, a job out, whose
 * result is written into the model store. Runs go one at a time: a run uses every core.
 */
@ProviderType
public interface Trainer {

    /**
     * An expert's training: adapters over {@code base} (or a full-decoder fine-tune, as the settings
     * say) on {@code data}.
     *
     * @param settingsJson the training configuration, one JSON object (see configs/train/expert.json)
     * @param settingsSource where the configuration came from, for messages
     * @param version the version the expert gets; null for the trainer's default, 1.0.0
     * @param job the identity of the job asking (see {@link LibraryTrainer.Job#identity()}), recorded as {@code job}
     *     in the expert's provenance; null when none asks
     * @param from the adapter tensors training starts from (an existing expert trained further, as when a multitask
     *     model is fine-tuned on one new task after another): the same names and shapes as the settings' adapters
     *     make, else the request is refused; null to start from fresh adapters
     */
    record ExpertRequest(String settingsJson, String settingsSource, BaseModelRef base, TrainingSet data, String version,
            String job, AdapterTensors from) {

        /** A request that starts from fresh adapters. */
        public ExpertRequest(String settingsJson, String settingsSource, BaseModelRef base, TrainingSet data, String version,
                String job) {
            this(settingsJson, settingsSource, base, data, version, job, null);
        }

        /** A request that no library job makes, from fresh adapters. */
        public ExpertRequest(String settingsJson, String settingsSource, BaseModelRef base, TrainingSet data, String version) {
            this(settingsJson, settingsSource, base, data, version, null, null);
        }
    }

    /**
     * LM adaptation of a base model's decoder over the frozen encoder.
     *
     * @param settingsJson the training configuration (see configs/train/base.json)
     * @param settingsSource where it came from, for messages
     * @param corpus the documents
     * @param answerWords words put into the output vocabulary whatever their frequency
     */
    record BaseRequest(String settingsJson, String settingsSource, List<String> corpus, Collection<String> answerWords) {
    }

    /**
     * Starts training an expert.
     *
     * @throws IllegalArgumentException when the configuration or the examples are unusable (the message says why)
     */
    TrainingJob<TrainingReport> trainExpert(ExpertRequest request);

    /**
     * Starts training a base model.
     *
     * @throws IllegalArgumentException when the configuration is invalid (the message names the field)
     */
    TrainingJob<BaseModelInfo> trainBase(BaseRequest request);

    /** The jobs of this trainer's lifetime, newest first. */
    List<TrainingJob<?>> jobs();
}

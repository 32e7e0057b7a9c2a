package org.expertlm.api;

import java.nio.file.Path;
import java.util.Collection;
import java.util.List;
import java.util.function.Consumer;

import org.osgi.annotation.versioning.ProviderType;

/** The neural engine itself: what it runs on and which models it has loaded. */
@ProviderType
public interface NeuralEngine {

    EngineStatus status();

    /**
     * Trains the base model's decoder over the frozen encoder ("LM adaptation") as the JSON training
     * configuration {@code settings} describes, on {@code corpus}, and writes it to {@code output};
     * resumes from a checkpoint of the same run there. {@code answerWords} are put into the output
     * vocabulary whatever their frequency. Progress lines go to {@code progress}.
     *
     * @throws IllegalArgumentException when the configuration is invalid (the message names the field)
     * @throws IllegalStateException when training fails (the message says why and what to change)
     */
    BaseModelInfo trainBase(Path settings, Path output, List<String> corpus, Collection<String> answerWords,
            Consumer<String> progress);
}

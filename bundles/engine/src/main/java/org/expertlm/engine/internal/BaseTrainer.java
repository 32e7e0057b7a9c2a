package org.expertlm.engine.internal;

import java.io.IOException;
import java.util.Objects;
import java.util.function.Supplier;

import org.expertlm.api.BaseModelInfo;
import org.expertlm.api.Trainer;
import org.expertlm.api.TrainingJob;
import org.expertlm.engine.encoder.MiniLmModel;
import org.expertlm.engine.graph.SideBySide;
import org.expertlm.engine.train.LmAdaptation;

/** A base model's LM adaptation as a job, written into {@code base/<name>/} of the model store, resumable there. */
final class BaseTrainer {

    private BaseTrainer() {
    }

    static TrainingJob<BaseModelInfo> submit(TrainingJobs jobs, ModelFolders folders, Trainer.BaseRequest request,
            Supplier<MiniLmModel> encoder, SideBySide workers) {
        Objects.requireNonNull(request, "request");
        LmAdaptation.Settings settings;
        try {
            settings = LmAdaptation.Settings.read(request.settingsJson(), request.settingsSource());
        } catch (IOException e) {
            throw new IllegalArgumentException(e.getMessage(), e);
        }
        return jobs.submit("base model " + settings.name(), job -> {
            LmAdaptation.Result r = LmAdaptation.run(settings, encoder.get(), workers, request.corpus(), request.answerWords(),
                    folders.baseOutput(settings.name()), job::progress, job::cancelled);
            job.progress("base model " + r.model().id() + " written to " + r.folder());
            return new BaseModelInfo(r.model().ref(), settings.steps(), r.targetTokens(), r.trainLoss(), r.heldOutLoss(),
                    r.seconds());
        });
    }
}

package org.expertlm.engine.internal;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.function.Supplier;

import org.expertlm.api.AdapterTensors;
import org.expertlm.api.AnswerFormat;
import org.expertlm.api.ExpertDescriptor;
import org.expertlm.api.TaskExample;
import org.expertlm.api.Trainer;
import org.expertlm.api.TrainingJob;
import org.expertlm.api.TrainingReport;
import org.expertlm.api.TrainingSet;
import org.expertlm.api.VocabularyCoverage;
import org.expertlm.engine.encoder.MiniLmModel;
import org.expertlm.engine.graph.AdapterPlan;
import org.expertlm.engine.graph.SideBySide;
import org.expertlm.engine.lm.BaseModel;
import org.expertlm.engine.lm.ExpertFiles;
import org.expertlm.engine.lm.LoraUpdates;
import org.expertlm.engine.tensor.FloatTensor;
import org.expertlm.engine.tensor.ModelFiles;
import org.expertlm.engine.tensor.SafeTensors;
import org.expertlm.engine.train.ExpertSettings;
import org.expertlm.engine.train.ExpertTraining;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;

/**
 * An expert's training as a job: the request's settings, base model and examples in; the expert
 * ({@code expert.json}, {@code adapter.safetensors}) out, in {@code experts/<id>/} of the model store.
 * Its checkpoints are kept in {@code checkpoints/} there until the expert is written, so that the same
 * request after an interruption or a cancel resumes.
 */
final class ExpertTrainer {

    static final String DEFAULT_VERSION = "1.0.0";
    private static final ObjectMapper JSON = new ObjectMapper();

    private final ModelFolders folders;
    private final Supplier<MiniLmModel> encoder;
    private final SideBySide workers;

    /** A trainer whose jobs each compute their steps on up to {@code workers}' threads at once. */
    ExpertTrainer(ModelFolders folders, Supplier<MiniLmModel> encoder, SideBySide workers) {
        this.folders = folders;
        this.encoder = encoder;
        this.workers = workers;
    }

    /** Checks the request, then queues its training. */
    TrainingJob<TrainingReport> submit(TrainingJobs jobs, Trainer.ExpertRequest request) {
        Objects.requireNonNull(request, "request");
        TrainingSet data = Objects.requireNonNull(request.data(), "data");
        ExpertSettings settings;
        try {
            settings = ExpertSettings.read(request.settingsJson(), request.settingsSource());
        } catch (IOException e) {
            throw new IllegalArgumentException(e.getMessage(), e);
        }
        String version = request.version() == null ? DEFAULT_VERSION : request.version();
        if (data.train().isEmpty() || data.validation().isEmpty()) {
            throw new IllegalArgumentException(data.task() + ": " + data.train().size() + " training and "
                    + data.validation().size() + " validation examples; an expert needs both (fetch the data: ./elm data fetch)");
        }
        BaseModel base = folders.base(request.base());
        MiniLmModel encoder = this.encoder.get(); // one encoder for the whole job, even if the engine stops meanwhile
        boolean generation = data.train().stream().noneMatch(TaskExample::isClassification);
        if (generation) {
            VocabularyCoverage coverage = Coverage.of(base, encoder.tokenizer(), data.train());
            if (!coverage.sufficient()) {
                throw new IllegalArgumentException(String.format("%s: the output vocabulary of %s holds %.1f%% of the word "
                        + "pieces of its targets (%.0f%% needed; missing most often: %s), so an expert over it cannot learn to "
                        + "write them; see elm:coverage", data.task(), base.id(), 100 * coverage.coverage(),
                        100 * VocabularyCoverage.MINIMUM, String.join(" ", coverage.missing())));
            }
        }
        List<ExpertTraining.Example> train = examples(data.train());
        List<ExpertTraining.Example> validation = examples(data.validation());
        Map<String, FloatTensor> from = request.from() == null ? null : SafeTensors.fromApi(LoraUpdates.pairs(request.from(),
                settings.plan() == null ? null : settings.plan().config())).tensors();
        return jobs.submit("expert " + data.expertId(), job -> {
            job.progress(String.format("%s: %d training (of %d) and %d validation examples from %s", data.expertId(),
                    Math.min(settings.maxTrainExamples(), train.size()), train.size(), validation.size(),
                    String.join(", ", data.templates())));
            Path folder = folders.expertFolder(data.expertId());
            Path checkpoints = folder.resolve("checkpoints");
            ExpertTraining.Result r = ExpertTraining.train(settings, base, encoder, workers, train, validation, from, checkpoints,
                    job::progress, job::cancelled);
            int trainExamples = Math.min(settings.maxTrainExamples(), train.size());
            AdapterTensors tensors = ExpertFiles.tensors(r.tensors());
            AdapterPlan plan = settings.plan();
            ExpertDescriptor expert = new ExpertDescriptor(data.expertId(), version, data.task(), data.templates(), data.kind(),
                    base.ref(), plan == null ? null : plan.config(),
                    generation ? AnswerFormat.generated() : answers(data.train()), tensors.sha256(),
                    provenance(settings, encoder, data, trainExamples, r, workers.threads(), request).toString());
            ExpertFiles.write(folder, expert, tensors);
            ExpertTraining.removeCheckpoints(checkpoints);
            job.progress("expert " + expert.name() + " written to " + folder);
            return new TrainingReport(expert, trainExamples, r.validationExamples(), r.metric(),
                    r.validationScore(), r.bestEpoch(), r.steps(), r.seconds(), r.history());
        });
    }

    private static ObjectNode provenance(ExpertSettings settings, MiniLmModel encoder, TrainingSet data,
            int trainExamples, ExpertTraining.Result r, int stepParts, Trainer.ExpertRequest request) {
        ObjectNode provenance = JSON.createObjectNode();
        if (request.job() != null) {
            provenance.put("job", request.job());
        }
        if (request.from() != null) {
            // The adapters it was trained further from, by their tensors' digest.
            provenance.put("fromSha256", request.from().sha256());
        }
        provenance.set("settings", JSON.valueToTree(settings));
        // Each step's batch was computed in this many parts side by side: the same run in another number of parts
        // gives the same expert within float rounding, not bit for bit.
        provenance.put("stepParts", stepParts);
        // Which computation gave the gradients: the direct trainer for adapters, the graph for a fine-tuned decoder
        // (the same mathematics, another float rounding).
        provenance.put("gradients", settings.fullDecoder() ? "graph" : "direct");
        provenance.put("encoder", encoder.id());
        provenance.put("trainExamples", trainExamples);
        provenance.put("validationExamples", r.validationExamples());
        provenance.put("dataSha256", digest(data.train().subList(0, trainExamples)));
        provenance.put("validationSha256", digest(data.validation().subList(0, r.validationExamples())));
        provenance.put("validationMetric", r.metric());
        provenance.put("validationScore", r.validationScore());
        provenance.put("bestEpoch", r.bestEpoch());
        provenance.put("steps", r.steps());
        provenance.put("seconds", Math.round(r.seconds()));
        provenance.set("history", JSON.valueToTree(r.history()));
        return provenance;
    }

    /** The answer choices every training example shares, or none when they vary per example. */
    private static AnswerFormat answers(List<TaskExample> train) {
        List<String> first = train.get(0).choices();
        boolean fixed = train.stream().allMatch(e -> e.choices().equals(first));
        return AnswerFormat.choices(fixed ? first : List.of());
    }

    /** Examples as the trainer takes them: generation targets, or choices with the target among them. */
    private static List<ExpertTraining.Example> examples(List<TaskExample> examples) {
        List<ExpertTraining.Example> out = new ArrayList<>();
        for (TaskExample e : examples) {
            if (!e.isClassification()) {
                out.add(ExpertTraining.Example.generation(e.input(), e.target()));
                continue;
            }
            int gold = e.choices().indexOf(e.target());
            if (gold < 0 || e.choices().size() < 2) {
                throw new IllegalArgumentException("example " + e.task() + "#" + e.id() + " has its target '" + e.target()
                        + "' outside its choices " + e.choices() + "; fix the template's choices in the catalog");
            }
            out.add(new ExpertTraining.Example(e.input(), e.choices(), gold));
        }
        return out;
    }

    private static String digest(List<TaskExample> examples) {
        StringBuilder text = new StringBuilder();
        for (TaskExample e : examples) {
            text.append(e.task()).append('\u0000').append(e.id()).append('\u0000').append(e.input()).append('\u0000')
                    .append(e.target()).append('\n');
        }
        return ModelFiles.sha256(text.toString());
    }
}

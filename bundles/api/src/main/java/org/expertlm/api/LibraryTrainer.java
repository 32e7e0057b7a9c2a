package org.expertlm.api;

import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.Objects;
import java.util.function.Consumer;

import org.osgi.annotation.versioning.ProviderType;

/**
 * Trains an expert library: a configuration (format {@value #FORMAT}, e.g. configs/library/default.json) lists
 * the experts, and each is an independent job: its inputs in (its settings, the base model, the catalog's
 * examples of its task), its bundle jar out, {@code <id>-<version>.jar}, written atomically. A job's
 * {@link Job#identity() identity} is a digest of those inputs; it is recorded in the expert's provenance, so a
 * jar of the same identity already in the output folder is not made again, and an interrupted job resumes from
 * its checkpoint. Nothing of a running container's state (its deployed experts, pins, registry) goes in.
 */
@ProviderType
public interface LibraryTrainer {

    /** The format name a library configuration carries. */
    String FORMAT = "elm-library/1";

    /**
     * One expert of a library, with everything its training reads.
     *
     * @param expertId the expert's id (its jar's symbolic name)
     * @param version its version
     * @param task what it learns: a template, a dataset or {@code multitask}
     * @param settingsJson its training configuration
     * @param settingsSource where that came from, for messages
     * @param base the base model it adapts
     * @param dataSha256 the digest of its training and validation examples (task, id, input, choices, target)
     * @param identity the digest of the settings (as canonical JSON), the base model's id and SHA-256, the data's
     *     digest, the id, version and task, and where its adapters start from: hex
     * @param from the jar of the expert whose adapters this one's training starts from (the entry's {@code from}:
     *     an earlier job of the same plan, or a jar); null when they start fresh
     * @param fromIdentity what {@code from} must be: {@code job:<identity>} of the earlier job that makes it, or
     *     {@code tensors:<sha256>} of the jar's adapter tensors; null when {@code from} is
     * @param newTask whether the task is learned as a new task, a held-out template too (the entry's {@code newTask}:
     *     {@link TaskCatalog#newTaskTrainingSet}); else the catalog's {@link TaskCatalog#trainingSet}, which refuses
     *     held-out ones
     */
    record Job(String expertId, String version, String task, String settingsJson, String settingsSource,
            BaseModelRef base, String dataSha256, String identity, Path from, String fromIdentity, boolean newTask) {

        /** A job of a training task whose adapters start fresh. */
        public Job(String expertId, String version, String task, String settingsJson, String settingsSource,
                BaseModelRef base, String dataSha256, String identity) {
            this(expertId, version, task, settingsJson, settingsSource, base, dataSha256, identity, null, null, false);
        }

        public Job {
            Objects.requireNonNull(expertId, "expertId");
            Objects.requireNonNull(version, "version");
            Objects.requireNonNull(task, "task");
            Objects.requireNonNull(settingsJson, "settingsJson");
            Objects.requireNonNull(base, "base");
            Objects.requireNonNull(dataSha256, "dataSha256");
            Objects.requireNonNull(identity, "identity");
            if ((from == null) != (fromIdentity == null)) {
                throw new IllegalArgumentException("from and fromIdentity go together");
            }
        }

        /** {@code id@version}. */
        public String name() {
            return expertId + "@" + version;
        }

        /** The jar the job writes. */
        public String jarName() {
            return expertId + "-" + version + ".jar";
        }
    }

    /**
     * A configuration's jobs, in its order.
     *
     * @param source the configuration file
     * @param out the folder its jars go to
     */
    record Plan(String source, Path out, List<Job> jobs) {

        public Plan {
            Objects.requireNonNull(out, "out");
            jobs = List.copyOf(jobs);
        }
    }

    /**
     * What a job did, or finds done.
     *
     * @param job the job
     * @param state what happened
     * @param jar the jar, when there is one
     * @param bytes its size
     * @param metric what its validation measured ({@code accuracy} or {@code rougeL}); null without a jar
     * @param validationScore the kept epoch's validation score; NaN without a jar
     * @param trainingSeconds the training's wall time as its provenance records it (earlier, resumed, parts
     *     included); NaN without a jar
     * @param message what happened, in words (for a failure: why, and what to do)
     */
    record Outcome(Job job, State state, String jar, long bytes, String metric, double validationScore,
            double trainingSeconds, String message) {

        /** What a job did. */
        public enum State {
            /** Trained and packaged now. */
            TRAINED,
            /** Found trained in the model store with the same identity and packaged now. */
            PACKAGED,
            /** A jar of the same identity was already there. */
            SKIPPED,
            /** Not done yet (a plan's view); a run never returns it. */
            PENDING,
            /** Stopped by a cancel; its checkpoint stays, and the same job resumes there. */
            CANCELLED,
            /** Could not be done; the message says why. */
            FAILED
        }

        public Outcome {
            Objects.requireNonNull(job, "job");
            Objects.requireNonNull(state, "state");
            Objects.requireNonNull(message, "message");
        }
    }

    /**
     * Reads a library configuration and makes its jobs (reading each expert's examples to digest them).
     *
     * @param out where the jars go; null for the configuration's {@code out}
     * @throws IllegalArgumentException when the configuration is not a library configuration, names an unknown
     *     task, a base model or settings file that is not there, an id or version that is not one, or one id twice
     *     (the message says which)
     * @throws IllegalStateException when an expert's examples have not been fetched (the message says how)
     * @throws IOException when a file cannot be read
     */
    Plan plan(Path config, Path out) throws IOException;

    /** The job's jar in {@code out} when it has the job's identity ({@code SKIPPED}), else {@code PENDING}. */
    Outcome status(Job job, Path out);

    /**
     * Does one job: nothing when its jar is there, packages it when the model store holds the expert of that
     * identity, otherwise trains it (resuming from its checkpoint) and packages it. Failures are returned as
     * {@code FAILED}, not thrown, so that the other jobs go on.
     *
     * @param progress receives progress lines, from the training's thread
     * @throws InterruptedException when this thread is interrupted: the training is cancelled first (it leaves
     *     its checkpoint)
     */
    Outcome run(Job job, Path out, Consumer<String> progress) throws InterruptedException;
}

package org.expertlm.registry.internal;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.concurrent.CancellationException;
import java.util.concurrent.ExecutionException;
import java.util.function.Consumer;
import java.util.jar.JarFile;
import java.util.zip.ZipEntry;

import org.expertlm.api.AdapterTensors;
import org.expertlm.api.BaseModelRef;
import org.expertlm.api.ExpertDescriptor;
import org.expertlm.api.ExpertFormat;
import org.expertlm.api.ExpertPackager;
import org.expertlm.api.LibraryTrainer;
import org.expertlm.api.ModelStore;
import org.expertlm.api.PackagedExpert;
import org.expertlm.api.TaskCatalog;
import org.expertlm.api.TaskExample;
import org.expertlm.api.Trainer;
import org.expertlm.api.TrainingJob;
import org.expertlm.api.TrainingSet;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Reference;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;

/**
 * The library's jobs, each run through the trainer and the packager. A job reads only what its
 * {@link LibraryTrainer.Job} names (the settings it carries, the base model by content, the catalog's
 * examples of its task, checked against the digest it was planned with) and writes only its expert in the
 * model store (and its checkpoints there) and its jar, so that it can run anywhere those inputs are.
 */
@Component(service = LibraryTrainer.class)
public final class LibraryTrainerComponent implements LibraryTrainer {

    private static final ObjectMapper JSON = new ObjectMapper().configure(SerializationFeature.ORDER_MAP_ENTRIES_BY_KEYS, true);
    private static final Set<String> CONFIG_FIELDS = Set.of("format", "base", "version", "settings", "out", "experts");
    private static final Set<String> ENTRY_FIELDS = Set.of("task", "id", "version", "settings", "from", "newTask");
    private static final String JOB_FORMAT = "elm-library-job/1";

    private final Trainer trainer;
    private final TaskCatalog catalog;
    private final ModelStore store;
    private final ExpertPackager packager;
    private final ExpertFormat format;

    @Activate
    public LibraryTrainerComponent(@Reference Trainer trainer, @Reference TaskCatalog catalog, @Reference ModelStore store,
            @Reference ExpertPackager packager, @Reference ExpertFormat format) {
        this.trainer = trainer;
        this.catalog = catalog;
        this.store = store;
        this.packager = packager;
        this.format = format;
    }

    @Override
    public Plan plan(Path config, Path out) throws IOException {
        Path file = config.toAbsolutePath().normalize();
        if (!Files.isRegularFile(file)) {
            throw new IllegalArgumentException("no library configuration at " + file + "; expected a JSON file such as "
                    + "configs/library/default.json");
        }
        JsonNode root;
        try {
            root = JSON.readTree(file.toFile());
        } catch (JsonProcessingException e) {
            throw new IllegalArgumentException(file + " is not valid JSON: " + e.getOriginalMessage(), e);
        }
        if (root == null || !root.isObject()) {
            throw new IllegalArgumentException(file + ": expected one JSON object of format " + FORMAT);
        }
        unknownFields(root, CONFIG_FIELDS, file.toString());
        if (!FORMAT.equals(root.path("format").asText())) {
            throw new IllegalArgumentException(file + " has format '" + root.path("format").asText()
                    + "'; expected \"format\": \"" + FORMAT + "\"");
        }
        Path folder = file.getParent();
        String source = file.toString();
        BaseModelRef base = store.baseModel(text(root, "base", "elm-base", source));
        String version = text(root, "version", "1.0.0", source);
        String settings = text(root, "settings", null, source);
        Path outFolder = out != null ? out.toAbsolutePath().normalize()
                : folder.resolve(required(root, "out", file.toString())).normalize();
        JsonNode experts = root.path("experts");
        if (!experts.isArray() || experts.isEmpty()) {
            throw new IllegalArgumentException(file + ": \"experts\" must be a non-empty list of tasks or {\"task\": …} objects");
        }
        List<Job> jobs = new ArrayList<>();
        Set<String> ids = new HashSet<>();
        for (int i = 0; i < experts.size(); i++) {
            JsonNode entry = experts.get(i);
            String where = file + ", experts[" + i + "]";
            if (entry.isObject()) {
                unknownFields(entry, ENTRY_FIELDS, where);
            } else if (!entry.isTextual()) {
                throw new IllegalArgumentException(where + ": expected a task id or an object with \"task\"");
            }
            String task = entry.isTextual() ? entry.asText() : required(entry, "task", where);
            JsonNode newTaskField = entry.path("newTask");
            if (!newTaskField.isMissingNode() && !newTaskField.isBoolean()) {
                throw new IllegalArgumentException(where + ": \"newTask\" is " + newTaskField + "; expected true or false");
            }
            boolean newTask = newTaskField.asBoolean(false);
            TrainingSet data;
            try {
                data = trainingSet(task, newTask);
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException(where + ": " + e.getMessage(), e);
            }
            if (data.train().isEmpty()) {
                throw new IllegalStateException(where + ": " + task + " has no training examples in the data cache; "
                        + "fetch the data first: ./elm data fetch");
            }
            String id = entry.isObject() ? text(entry, "id", data.expertId(), where) : data.expertId();
            if (!id.matches("[a-z0-9][a-z0-9.-]*")) {
                throw new IllegalArgumentException(where + ": the id '" + id + "' is not an expert id; expected lower-case "
                        + "letters, digits, '.' and '-'");
            }
            if (data.validation().isEmpty()) {
                throw new IllegalStateException(where + ": " + task + " has no validation examples in the data cache; "
                        + "fetch the data first: ./elm data fetch");
            }
            if (!ids.add(id)) {
                throw new IllegalArgumentException(where + ": the id " + id + " is in the library twice; give one of them "
                        + "another \"id\"");
            }
            String entrySettings = entry.isObject() ? text(entry, "settings", settings, where) : settings;
            if (entrySettings == null) {
                throw new IllegalArgumentException(where + ": no \"settings\" for " + id + " and none for the whole library");
            }
            Path settingsFile = folder.resolve(entrySettings).normalize();
            if (!Files.isRegularFile(settingsFile)) {
                throw new IllegalArgumentException(where + ": no training configuration at " + settingsFile
                        + " (paths are relative to the library configuration's folder)");
            }
            String settingsJson = Files.readString(settingsFile);
            String entryVersion = entry.isObject() ? text(entry, "version", version, where) : version;
            if (!entryVersion.matches("\\d+\\.\\d+\\.\\d+")) {
                throw new IllegalArgumentException(where + ": version '" + entryVersion + "': expected major.minor.micro, e.g. 1.0.0");
            }
            String dataSha256 = digest(data);
            String fromName = entry.isObject() ? text(entry, "from", null, where) : null;
            Path from = null;
            String fromIdentity = null;
            if (fromName != null) {
                Job earlier = jobs.stream().filter(j -> j.expertId().equals(fromName)).findFirst().orElse(null);
                if (earlier != null) {
                    from = outFolder.resolve(earlier.jarName());
                    fromIdentity = "job:" + earlier.identity();
                } else {
                    from = folder.resolve(fromName).normalize();
                    if (!Files.isRegularFile(from)) {
                        throw new IllegalArgumentException(where + ": \"from\": \"" + fromName + "\" is neither an earlier expert "
                                + "of this library (" + jobs.stream().map(Job::expertId).toList() + ") nor an expert jar at " + from
                                + " (paths are relative to the library configuration's folder)");
                    }
                    fromIdentity = "tensors:" + describedIn(from).tensorsSha256();
                }
            }
            String identity = identity(id, entryVersion, task, settingsJson, settingsFile, base, dataSha256);
            if (fromIdentity != null) {
                identity = Sha256.of(identity + "\nfrom " + fromIdentity);
            }
            jobs.add(new Job(id, entryVersion, task, settingsJson, settingsFile.toString(), base, dataSha256, identity, from,
                    fromIdentity, newTask));
        }
        return new Plan(file.toString(), outFolder, jobs);
    }

    @Override
    public Outcome status(Job job, Path out) {
        Path jar = out.resolve(job.jarName());
        if (!Files.isRegularFile(jar)) {
            return pending(job, "not made yet");
        }
        ExpertDescriptor expert;
        try {
            expert = describedIn(jar);
        } catch (IOException | RuntimeException e) {
            return pending(job, jar + " is there but unreadable (" + e.getMessage() + "); it will be made again");
        }
        JsonNode provenance = provenance(expert);
        if (!job.identity().equals(provenance.path("job").asText())) {
            return pending(job, jar + " is there from other inputs (job " + shortened(provenance.path("job").asText())
                    + ", this job " + shortened(job.identity()) + "); it will be made again under the same id@version, which "
                    + "containers holding the old jar keep: give the library a higher version to replace it there");
        }
        return outcome(job, Outcome.State.SKIPPED, jar, provenance, "already made: " + jar);
    }

    @Override
    public Outcome run(Job job, Path out, Consumer<String> progress) throws InterruptedException {
        Outcome done = status(job, out);
        if (done.state() == Outcome.State.SKIPPED) {
            return done;
        }
        try {
            TrainingSet data = trainingSet(job.task(), job.newTask());
            String dataSha256 = digest(data);
            if (!dataSha256.equals(job.dataSha256())) {
                return failed(job, "the examples of " + job.task() + " are not those the job was planned with (data "
                        + shortened(dataSha256) + ", planned " + shortened(job.dataSha256()) + "); plan it again");
            }
            if (!inStore(job)) {
                progress.accept(job.name() + ": " + done.message() + "; training");
                TrainingSet named = new TrainingSet(job.expertId(), data.kind(), data.task(), data.templates(), data.train(),
                        data.validation());
                AdapterTensors from = null;
                if (job.from() != null) {
                    from = startingTensors(job);
                    if (from == null) {
                        return failed(job, "its adapters start from " + job.from() + ", which is not there or not the expert "
                                + "planned (" + job.fromIdentity() + "); make that expert first (its entry comes earlier in "
                                + "the library) or plan the library again");
                    }
                    progress.accept(job.name() + ": starting from the adapters of " + job.from().getFileName());
                }
                TrainingJob<?> training = trainer.trainExpert(new Trainer.ExpertRequest(job.settingsJson(),
                        job.settingsSource(), job.base(), named, job.version(), job.identity(), from));
                training.onProgress(progress);
                try {
                    training.await();
                } catch (InterruptedException e) {
                    training.cancel();
                    training.awaitStopped();
                    throw e;
                } catch (CancellationException e) {
                    return new Outcome(job, Outcome.State.CANCELLED, null, 0, null, Double.NaN, Double.NaN,
                            "cancelled; its checkpoint stays, and the same job resumes there");
                }
                return packaged(job, out, Outcome.State.TRAINED, "trained and packaged");
            }
            progress.accept(job.name() + ": trained in the model store by this job; packaging");
            return packaged(job, out, Outcome.State.PACKAGED, "packaged from the model store");
        } catch (ExecutionException e) {
            Throwable cause = e.getCause() == null ? e : e.getCause();
            return failed(job, "training failed: " + (cause.getMessage() == null ? cause.toString() : cause.getMessage()));
        } catch (IOException | RuntimeException e) {
            return failed(job, e.getMessage() == null ? e.toString() : e.getMessage());
        }
    }

    private TrainingSet trainingSet(String task, boolean newTask) {
        return newTask ? catalog.newTaskTrainingSet(task) : catalog.trainingSet(task);
    }

    /** The adapter tensors of the jar a job starts from, when it is the expert planned; else null. */
    private AdapterTensors startingTensors(Job job) throws IOException {
        if (!Files.isRegularFile(job.from())) {
            return null;
        }
        ExpertDescriptor expert = describedIn(job.from());
        boolean planned = job.fromIdentity().equals("job:" + provenance(expert).path("job").asText())
                || job.fromIdentity().equals("tensors:" + expert.tensorsSha256());
        if (!planned) {
            return null;
        }
        try (JarFile file = new JarFile(job.from().toFile())) {
            ZipEntry entry = file.getEntry(ExpertFormat.TENSORS);
            if (entry == null) {
                throw new IOException(job.from() + " has no " + ExpertFormat.TENSORS);
            }
            try (InputStream in = file.getInputStream(entry)) {
                AdapterTensors tensors = AdapterTensors.read(in, job.from() + "!/" + ExpertFormat.TENSORS);
                if (!tensors.sha256().equals(expert.tensorsSha256())) {
                    throw new IOException(job.from() + "!/" + ExpertFormat.TENSORS + " is not the tensors its description names");
                }
                return tensors;
            }
        }
    }

    /** True when the model store holds this job's expert (trained by this job, not packaged yet). */
    private boolean inStore(Job job) {
        ExpertDescriptor expert;
        try {
            expert = store.expert(job.name());
        } catch (IllegalArgumentException e) {
            return false;
        }
        return job.identity().equals(provenance(expert).path("job").asText());
    }

    private Outcome packaged(Job job, Path out, Outcome.State state, String what) throws IOException {
        PackagedExpert jar = packager.pack(job.name(), out);
        return outcome(job, state, Path.of(jar.jar()), provenance(jar.expert()), what + ": " + jar.jar());
    }

    private ExpertDescriptor describedIn(Path jar) throws IOException {
        try (JarFile file = new JarFile(jar.toFile())) {
            ZipEntry entry = file.getEntry(ExpertFormat.DESCRIPTION);
            if (entry == null) {
                throw new IOException("it has no " + ExpertFormat.DESCRIPTION);
            }
            try (InputStream in = file.getInputStream(entry)) {
                return format.read(in, jar + "!/" + ExpertFormat.DESCRIPTION);
            }
        }
    }

    private static Outcome outcome(Job job, Outcome.State state, Path jar, JsonNode provenance, String message) {
        long bytes;
        try {
            bytes = Files.size(jar);
        } catch (IOException e) {
            bytes = -1;
        }
        return new Outcome(job, state, jar.toString(), bytes, provenance.path("validationMetric").asText(null),
                provenance.path("validationScore").asDouble(Double.NaN), provenance.path("seconds").asDouble(Double.NaN),
                message);
    }

    private static Outcome pending(Job job, String why) {
        return new Outcome(job, Outcome.State.PENDING, null, 0, null, Double.NaN, Double.NaN, why);
    }

    private static Outcome failed(Job job, String why) {
        return new Outcome(job, Outcome.State.FAILED, null, 0, null, Double.NaN, Double.NaN, why);
    }

    private static JsonNode provenance(ExpertDescriptor expert) {
        try {
            return JSON.readTree(expert.provenance());
        } catch (JsonProcessingException e) {
            return JSON.createObjectNode();
        }
    }

    /**
     * The identity of a job: every input, the settings as canonical JSON so that layout and key order do not count.
     * The encoder is not named: the base model's id and digest imply it (a base model is trained over one encoder,
     * and the trainer refuses another). Bump {@link #JOB_FORMAT} when what a job's inputs produce changes meaning.
     */
    private static String identity(String id, String version, String task, String settingsJson, Path settingsFile,
            BaseModelRef base, String dataSha256) throws IOException {
        String settings;
        try {
            settings = JSON.writeValueAsString(canonical(JSON.readTree(settingsJson)));
        } catch (JsonProcessingException e) {
            throw new IllegalArgumentException(settingsFile + " is not valid JSON: " + e.getOriginalMessage(), e);
        }
        return Sha256.of(String.join("\n", JOB_FORMAT, id, version, task, settings, base.id(), base.sha256(), dataSha256));
    }

    /** JSON objects as sorted maps, all the way down. */
    private static Object canonical(JsonNode node) {
        if (node.isObject()) {
            Map<String, Object> sorted = new TreeMap<>();
            for (Iterator<Map.Entry<String, JsonNode>> it = node.fields(); it.hasNext();) {
                Map.Entry<String, JsonNode> field = it.next();
                sorted.put(field.getKey(), canonical(field.getValue()));
            }
            return sorted;
        }
        if (node.isArray()) {
            List<Object> items = new ArrayList<>();
            node.forEach(item -> items.add(canonical(item)));
            return items;
        }
        return node;
    }

    /** The digest of a training set's examples, in order: what the job learns from and validates on. */
    static String digest(TrainingSet data) {
        StringBuilder text = new StringBuilder();
        for (List<TaskExample> split : List.of(data.train(), data.validation())) {
            for (TaskExample e : split) {
                text.append(e.task()).append('\u0000').append(e.id()).append('\u0000').append(e.input()).append('\u0000')
                        .append(String.join("\u0001", e.choices())).append('\u0000').append(e.target()).append('\n');
            }
            text.append('\u0002');
        }
        return Sha256.of(text.toString());
    }

    private static void unknownFields(JsonNode object, Set<String> known, String where) {
        for (Iterator<String> it = object.fieldNames(); it.hasNext();) {
            String name = it.next();
            if (!known.contains(name)) {
                throw new IllegalArgumentException(where + ": unknown field \"" + name + "\"; expected one of " + new TreeSet<>(known));
            }
        }
    }

    private static String text(JsonNode object, String field, String fallback, String where) {
        JsonNode value = object.get(field);
        if (value == null || value.isNull()) {
            return fallback;
        }
        if (!value.isTextual() || value.asText().isBlank()) {
            throw new IllegalArgumentException(where + ": \"" + field + "\" must be a non-empty string, not " + value);
        }
        return value.asText();
    }

    private static String required(JsonNode object, String field, String where) {
        String value = text(object, field, null, where);
        if (value == null) {
            throw new IllegalArgumentException(where + ": \"" + field + "\" is missing");
        }
        return value;
    }

    private static String shortened(String digest) {
        return digest.isEmpty() ? "none" : digest.substring(0, Math.min(12, digest.length()));
    }
}

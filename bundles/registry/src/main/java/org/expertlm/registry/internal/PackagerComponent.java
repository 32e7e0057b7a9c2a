package org.expertlm.registry.internal;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import org.expertlm.api.AdapterTensors;
import org.expertlm.api.Expert;
import org.expertlm.api.ExpertDescriptor;
import org.expertlm.api.ExpertFormat;
import org.expertlm.api.ExpertKind;
import org.expertlm.api.ExpertLibrary;
import org.expertlm.api.ExpertPackager;
import org.expertlm.api.ModelStore;
import org.expertlm.api.PackagedExpert;
import org.expertlm.api.SentenceEncoder;
import org.expertlm.api.TaskCatalog;
import org.expertlm.api.TaskExample;
import org.expertlm.api.TaskInfo;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Reference;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;

/**
 * The packager: an expert of the model store, its description written by the engine's format, its
 * stored tensors (checked against the description), and its library: the first
 * {@value ExpertPackager#LIBRARY_SIZE} instances of its training data (templates interleaved, as it
 * trained on them) with their sentence vectors, tagged with the encoder's id.
 */
@Component(service = ExpertPackager.class)
public final class PackagerComponent implements ExpertPackager {

    private static final ObjectMapper JSON = new ObjectMapper();

    private final ModelStore store;
    private final ExpertFormat format;
    private final TaskCatalog catalog;
    private final SentenceEncoder encoder;

    @Activate
    public PackagerComponent(@Reference ModelStore store, @Reference ExpertFormat format, @Reference TaskCatalog catalog,
            @Reference SentenceEncoder encoder) {
        this.store = store;
        this.format = format;
        this.catalog = catalog;
        this.encoder = encoder;
    }

    @Override
    public PackagedExpert pack(String id, Path folder) throws IOException {
        ExpertDescriptor expert = store.expert(id);
        List<TaskExample> library = library(expert);
        return write(expert, store.tensors(expert), library, vectors(encoder.embed(library.stream().map(ExpertBundleLayout::vectorText)
                .toList())), folder);
    }

    @Override
    public PackagedExpert pack(Expert expert, Path folder) throws IOException {
        ExpertDescriptor d = expert.descriptor();
        ExpertLibrary library = expert.library();
        if (library.instances().isEmpty()) {
            throw new IllegalArgumentException("expert " + d.name() + " has an empty library; a bundle carries the instances its "
                    + "expert was made from");
        }
        if (!library.encoder().equals(encoder.modelId())) {
            throw new IllegalArgumentException("expert " + d.name() + "'s library vectors are of encoder " + library.encoder()
                    + ", not the installed " + encoder.modelId());
        }
        return write(d, expert.tensors(), library.instances(), vectors(library.vectors()), folder);
    }

    private PackagedExpert write(ExpertDescriptor expert, AdapterTensors tensors, List<TaskExample> library, AdapterTensors vectors,
            Path folder) throws IOException {
        Files.createDirectories(folder);
        Path jar = folder.resolve(ExpertBundleLayout.jarName(expert));
        new DeterministicJar()
                .add(ExpertBundleLayout.MANIFEST, ExpertBundleLayout.manifest(expert, cluster(expert)))
                .add(ExpertFormat.DESCRIPTION, format.write(expert))
                .add(ExpertFormat.TENSORS, bytes(tensors))
                .add(ExpertBundleLayout.LIBRARY, instances(library))
                .add(ExpertBundleLayout.LIBRARY_VECTORS, bytes(vectors))
                .write(jar);
        return new PackagedExpert(expert, jar.toString(), Sha256.of(jar), Files.size(jar), library.size(), encoder.modelId());
    }

    /**
     * The expert's first training instances, as many as a library holds. A template's are asked for as a new task's:
     * the same examples, and a held-out template's too (an expert trained on one on purpose, as continual learning).
     */
    private List<TaskExample> library(ExpertDescriptor expert) {
        List<TaskExample> train = (expert.task().contains("/") ? catalog.newTaskTrainingSet(expert.task())
                : catalog.trainingSet(expert.task())).train();
        if (train.isEmpty()) {
            throw new IllegalStateException("expert " + expert.name() + " has no training instances in the catalog for "
                    + expert.task() + "; its library would be empty");
        }
        return train.subList(0, Math.min(LIBRARY_SIZE, train.size()));
    }

    /**
     * The cluster of the expert's datasets: the one they share, or {@code mixed} (the multitask baseline, whose data
     * spans them; a composite of experts of several clusters).
     */
    private String cluster(ExpertDescriptor expert) {
        if (expert.kind() == ExpertKind.MULTITASK) {
            return "mixed";
        }
        List<String> clusters = expert.templates().stream().map(t -> t.split("/", 2)[0]).distinct()
                .map(dataset -> catalog.tasks().stream().filter(t -> t.dataset().equals(dataset)).map(TaskInfo::cluster).findFirst()
                        .orElseThrow(() -> new IllegalStateException("expert " + expert.name() + " was made from dataset " + dataset
                                + ", which the task catalog does not hold")))
                .distinct().toList();
        return clusters.size() == 1 ? clusters.get(0) : "mixed";
    }

    private static byte[] instances(List<TaskExample> library) {
        StringBuilder lines = new StringBuilder();
        for (TaskExample e : library) {
            ObjectNode line = JSON.createObjectNode();
            line.put("template", e.task());
            line.put("id", e.id());
            line.put("input", e.input());
            line.put("target", e.target());
            line.set("choices", JSON.valueToTree(e.choices()));
            lines.append(line).append('\n');
        }
        return lines.toString().getBytes(StandardCharsets.UTF_8);
    }

    /** The instances' vectors [instances, dimension] of their label_instance text (their choices and input). */
    private AdapterTensors vectors(List<float[]> vectors) {
        int dimension = encoder.dimension();
        float[] values = new float[vectors.size() * dimension];
        for (int i = 0; i < vectors.size(); i++) {
            System.arraycopy(vectors.get(i), 0, values, i * dimension, dimension);
        }
        return AdapterTensors.builder().put("vectors", new long[] {vectors.size(), dimension}, values)
                .metadata("format", "elm-library").metadata("encoder", encoder.modelId())
                .metadata("text", ExpertBundleLayout.VECTOR_TEXT).build();
    }

    private static byte[] bytes(AdapterTensors tensors) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        tensors.write(out);
        return out.toByteArray();
    }
}

package org.expertlm.engine.lm;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;

import org.expertlm.engine.graph.AdapterPlan;
import org.expertlm.engine.tensor.FloatTensor;
import org.expertlm.engine.tensor.SafeTensors;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ObjectNode;

/**
 * A trained expert on disk: {@code adapter.safetensors} (its trained tensors only) and
 * {@code expert.json} (id, task, the base model it adapts with that model's digest, the adapter
 * configuration, the tensors' digest and how it was trained). A full-decoder fine-tune (the MT
 * baseline's) has no adapter plan; its tensors replace the base decoder's.
 *
 * @param id the expert's id
 * @param task what it was trained on: a template ({@code dataset/template}), a dataset, or {@code multitask}
 * @param baseId the base model's id
 * @param plan the adapters, or null for a full-decoder fine-tune
 * @param tensors the trained tensors by name
 * @param sha256 the digest of {@code adapter.safetensors}
 * @param provenance how it was trained
 */
public record Expert(String id, String task, String baseId, AdapterPlan plan, Map<String, FloatTensor> tensors, String sha256,
        JsonNode provenance) {

    public static final String TENSORS = "adapter.safetensors";
    public static final String DESCRIPTION = "expert.json";
    private static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

    /** Writes the tensors, then the description naming their digest. */
    public static Expert write(Path folder, String id, String task, BaseModel base, AdapterPlan plan,
            Map<String, FloatTensor> tensors, JsonNode provenance) throws IOException {
        Files.createDirectories(folder);
        Path file = folder.resolve(TENSORS);
        SafeTensors.write(file, new TreeMap<>(tensors), Map.of("format", "elm-expert"));
        String sha256 = BaseModel.sha256(file);
        ObjectNode json = JSON.createObjectNode();
        json.put("id", id);
        json.put("task", task);
        json.put("base", base.id());
        json.put("baseSha256", base.sha256());
        if (plan == null) {
            json.put("kind", "full-decoder");
        } else {
            json.put("kind", "adapter");
            ObjectNode adapter = json.putObject("adapter");
            adapter.set("houlsby", JSON.valueToTree(new TreeSet<>(plan.houlsby())));
            adapter.put("reduction", plan.reduction());
            adapter.set("lora", JSON.valueToTree(new TreeSet<>(plan.lora())));
            adapter.put("loraRank", plan.loraRank());
            adapter.put("loraAlpha", plan.loraAlpha());
            adapter.put("encoderLayers", plan.encoderLayers());
            adapter.put("seed", plan.seed());
        }
        json.put("tensors", TENSORS);
        json.put("sha256", sha256);
        json.set("provenance", provenance);
        BaseModel.writeAtomically(folder.resolve(DESCRIPTION), json);
        return new Expert(id, task, base.id(), plan, tensors, sha256, provenance);
    }

    /** True when {@code folder} holds an expert (rather than a base model). */
    public static boolean isExpert(Path folder) {
        return Files.isRegularFile(folder.resolve(DESCRIPTION));
    }

    /**
     * Reads an expert folder for {@code base}: the tensor file must be the one the description names,
     * and the expert must have been trained on this base model.
     */
    public static Expert read(Path folder, BaseModel base) throws IOException {
        Path description = folder.resolve(DESCRIPTION);
        if (!Files.isRegularFile(description)) {
            throw new IOException(folder + " is not an expert: it has no " + DESCRIPTION);
        }
        JsonNode json = JSON.readTree(description.toFile());
        String baseId = json.path("base").asText();
        if (!baseId.equals(base.id())) {
            throw new IOException("expert " + json.path("id").asText() + " adapts base model " + baseId + ", not " + base.id()
                    + "; give the base model it was trained on");
        }
        Path file = folder.resolve(json.path("tensors").asText(TENSORS));
        String found = BaseModel.sha256(file);
        if (!found.equals(json.path("sha256").asText())) {
            throw new IOException(file + " has SHA-256 " + found + " but " + description + " names "
                    + json.path("sha256").asText() + ": the expert's tensors were changed");
        }
        AdapterPlan plan = null;
        if ("adapter".equals(json.path("kind").asText())) {
            JsonNode a = json.path("adapter");
            plan = new AdapterPlan(strings(a.path("houlsby")), a.path("reduction").asInt(), strings(a.path("lora")),
                    a.path("loraRank").asInt(), a.path("loraAlpha").asDouble(), a.path("encoderLayers").asInt(),
                    a.path("seed").asLong());
        }
        return new Expert(json.path("id").asText(), json.path("task").asText(), baseId, plan,
                SafeTensors.read(file).tensors(), found, json.path("provenance"));
    }

    private static Set<String> strings(JsonNode array) {
        Set<String> out = new TreeSet<>();
        array.forEach(n -> out.add(n.asText()));
        return out;
    }
}

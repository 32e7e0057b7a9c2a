package org.expertlm.engine.lm;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;

import org.expertlm.api.AdapterConfig;
import org.expertlm.api.AdapterTensors;
import org.expertlm.api.AnswerFormat;
import org.expertlm.api.BaseModelRef;
import org.expertlm.api.ExpertDescriptor;
import org.expertlm.api.ExpertKind;
import org.expertlm.api.ModelFormatException;
import org.expertlm.engine.tensor.FloatTensor;
import org.expertlm.engine.tensor.ModelFiles;
import org.expertlm.engine.tensor.SafeTensors;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;

/**
 * An expert as files: {@code expert.json} (its {@link ExpertDescriptor}, in format {@value #FORMAT})
 * and {@code adapter.safetensors} (its trained tensors only). The same two entries make an expert
 * bundle; the descriptor is read from any stream, so a jar entry can be the source.
 */
public final class ExpertFiles {

    public static final String TENSORS = "adapter.safetensors";
    public static final String DESCRIPTION = "expert.json";
    /** The format of {@code expert.json}, written into it and checked on read. */
    public static final String FORMAT = "elm-expert/1";
    /** The tensor file's metadata format name. */
    static final String TENSOR_FORMAT = "elm-expert";
    private static final ObjectMapper JSON = ModelFiles.JSON;
    /** The descriptor's provenance is kept as compact JSON text, so that a description read back equals the one written. */
    private static final ObjectMapper COMPACT = new ObjectMapper();

    /** An expert read from its files: the descriptor and the tensors it names, checked against each other. */
    public record Stored(ExpertDescriptor descriptor, AdapterTensors tensors) {
    }

    private ExpertFiles() {
    }

    /** The tensors as an expert's tensor file holds them (with its metadata), from the trained ones. */
    public static AdapterTensors tensors(Map<String, FloatTensor> trained) {
        return SafeTensors.toApi(trained, Map.of("format", TENSOR_FORMAT));
    }

    /** Writes the tensors, then the description naming their digest (which must be {@code d.tensorsSha256()}). */
    public static void write(Path folder, ExpertDescriptor d, AdapterTensors tensors) throws IOException {
        if (!tensors.sha256().equals(d.tensorsSha256())) {
            throw new IllegalArgumentException("expert " + d.name() + " names tensors " + d.tensorsSha256()
                    + " but is written with " + tensors.sha256());
        }
        Files.createDirectories(folder);
        Path file = folder.resolve(TENSORS);
        Path partial = folder.resolve(TENSORS + ".partial");
        try (OutputStream out = Files.newOutputStream(partial)) {
            tensors.write(out);
        }
        Files.move(partial, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        ModelFiles.writeAtomically(folder.resolve(DESCRIPTION), toJson(d));
    }

    /** True when {@code folder} holds an expert's description. */
    public static boolean isExpert(Path folder) {
        return Files.isRegularFile(folder.resolve(DESCRIPTION));
    }

    /**
     * Reads an expert folder: its description (format checked) and the tensors it names, whose digest
     * must be the one the description holds.
     *
     * @throws ModelFormatException when the description or the tensors are not what they should be
     */
    public static Stored read(Path folder) throws IOException {
        Path description = folder.resolve(DESCRIPTION);
        if (!Files.isRegularFile(description)) {
            throw new ModelFormatException(folder + " is not an expert: it has no " + DESCRIPTION);
        }
        ExpertDescriptor d;
        try (InputStream in = Files.newInputStream(description)) {
            d = readDescriptor(in, description.toString());
        }
        Path file = folder.resolve(TENSORS);
        AdapterTensors tensors;
        try (InputStream in = Files.newInputStream(file)) {
            tensors = AdapterTensors.read(in, file.toString());
        }
        checkTensors(d, tensors, file.toString());
        return new Stored(d, tensors);
    }

    /**
     * Checks that tensors are the ones a descriptor names.
     *
     * @throws ModelFormatException naming both digests
     */
    public static void checkTensors(ExpertDescriptor d, AdapterTensors tensors, String source) throws ModelFormatException {
        if (!tensors.sha256().equals(d.tensorsSha256())) {
            throw new ModelFormatException(source + " has SHA-256 " + tensors.sha256() + " but expert " + d.name()
                    + " names " + d.tensorsSha256() + ": the expert's tensors were changed or belong to another expert; "
                    + "restore them as they were written, or train the expert again");
        }
        ModelFormatException.check(source + " (its metadata)", tensors.metadata().get("format"), TENSOR_FORMAT);
    }

    /**
     * Reads an expert's description from {@code in}.
     *
     * @param source names the stream in messages
     * @throws ModelFormatException when it is not JSON, names another format, or lacks a field (named)
     */
    public static ExpertDescriptor readDescriptor(InputStream in, String source) throws IOException {
        JsonNode json;
        try {
            json = JSON.readTree(in);
        } catch (JsonProcessingException e) {
            throw new ModelFormatException(source + " is not valid JSON: " + e.getOriginalMessage(), e);
        }
        if (json == null || !json.isObject()) {
            throw new ModelFormatException(source + " is not a JSON object; expected an expert's description");
        }
        ModelFormatException.check(source, json.path("format").asText(null), FORMAT);
        try {
            AdapterConfig adapter = null;
            if (!json.path("fullDecoder").asBoolean(false)) {
                JsonNode a = required(json, "adapter", source);
                adapter = new AdapterConfig(new TreeSet<>(strings(a, "houlsby", source)), (int) number(a, "reduction", source),
                        new TreeSet<>(strings(a, "lora", source)), (int) number(a, "loraRank", source), number(a, "loraAlpha", source),
                        (int) number(a, "encoderLayers", source), (long) number(a, "seed", source));
            }
            JsonNode answers = required(json, "answers", source);
            JsonNode generation = required(answers, "generation", source);
            if (!generation.isBoolean()) {
                throw new ModelFormatException(source + ": field 'generation' is " + generation + "; expected true or false");
            }
            List<String> choices = new ArrayList<>(strings(answers, "choices", source));
            List<String> templates = new ArrayList<>(strings(json, "templates", source));
            return new ExpertDescriptor(text(json, "id", source), text(json, "version", source), text(json, "task", source),
                    templates, ExpertKind.parse(text(json, "kind", source)),
                    new BaseModelRef(text(json, "base", source), text(json, "baseSha256", source)), adapter,
                    new AnswerFormat(generation.asBoolean(), choices), text(json, "sha256", source),
                    COMPACT.writeValueAsString(json.path("provenance").isObject() ? json.path("provenance") : JSON.createObjectNode()));
        } catch (IllegalArgumentException e) {
            throw new ModelFormatException(source + " is not a valid expert description: " + e.getMessage(), e);
        }
    }

    /** The description's file, as {@link #write} writes it: the same description gives the same bytes. */
    public static byte[] toBytes(ExpertDescriptor d) {
        try {
            return JSON.writeValueAsBytes(toJson(d));
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("expert " + d.name() + " could not be written as JSON: " + e.getOriginalMessage(), e);
        }
    }

    /** The description as {@code expert.json} holds it. */
    public static ObjectNode toJson(ExpertDescriptor d) {
        ObjectNode json = JSON.createObjectNode();
        json.put("format", FORMAT);
        json.put("id", d.id());
        json.put("version", d.version());
        json.put("task", d.task());
        json.set("templates", JSON.valueToTree(d.templates()));
        json.put("kind", d.kind().id());
        json.put("base", d.base().id());
        json.put("baseSha256", d.base().sha256());
        if (d.adapter() == null) {
            json.put("fullDecoder", true);
        } else {
            AdapterConfig a = d.adapter();
            ObjectNode adapter = json.putObject("adapter");
            adapter.set("houlsby", JSON.valueToTree(a.houlsby()));
            adapter.put("reduction", a.reduction());
            adapter.set("lora", JSON.valueToTree(a.lora()));
            adapter.put("loraRank", a.loraRank());
            adapter.put("loraAlpha", a.loraAlpha());
            adapter.put("encoderLayers", a.encoderLayers());
            adapter.put("seed", a.seed());
        }
        ObjectNode answers = json.putObject("answers");
        answers.put("generation", d.answers().generation());
        answers.set("choices", JSON.valueToTree(d.answers().choices()));
        json.put("tensors", TENSORS);
        json.put("sha256", d.tensorsSha256());
        try {
            json.set("provenance", JSON.readTree(d.provenance()));
        } catch (JsonProcessingException e) {
            throw new IllegalArgumentException("expert " + d.name() + " has provenance that is not JSON: " + e.getOriginalMessage(), e);
        }
        return json;
    }

    private static JsonNode required(JsonNode json, String field, String source) throws ModelFormatException {
        JsonNode node = json.get(field);
        if (node == null || node.isNull()) {
            throw new ModelFormatException(source + " has no field '" + field + "'; expected an expert description as "
                    + "ELM writes it (format " + FORMAT + ")");
        }
        return node;
    }

    private static String text(JsonNode json, String field, String source) throws ModelFormatException {
        JsonNode node = required(json, field, source);
        if (!node.isTextual()) {
            throw new ModelFormatException(source + ": field '" + field + "' is " + node + "; expected a string");
        }
        return node.asText();
    }

    private static double number(JsonNode json, String field, String source) throws ModelFormatException {
        JsonNode node = required(json, field, source);
        if (!node.isNumber()) {
            throw new ModelFormatException(source + ": field '" + field + "' is " + node + "; expected a number");
        }
        return node.asDouble();
    }

    /** A field's array of strings, in order (sets sort them where order does not matter). */
    private static List<String> strings(JsonNode json, String field, String source) throws ModelFormatException {
        JsonNode array = required(json, field, source);
        if (!array.isArray()) {
            throw new ModelFormatException(source + ": field '" + field + "' is " + array + "; expected an array of strings");
        }
        List<String> out = new ArrayList<>();
        for (Iterator<JsonNode> it = array.elements(); it.hasNext();) {
            JsonNode item = it.next();
            if (!item.isTextual()) {
                throw new ModelFormatException(source + ": field '" + field + "' holds " + item + "; expected strings");
            }
            out.add(item.asText());
        }
        return out;
    }
}

package org.expertlm.registry.internal;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.net.URL;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Enumeration;
import java.util.List;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import org.expertlm.api.AdapterTensors;
import org.expertlm.api.BaseModelRef;
import org.expertlm.api.ExpertDescriptor;
import org.expertlm.api.ExpertFormat;
import org.expertlm.api.ExpertLibrary;
import org.expertlm.api.ExpertPackager;
import org.expertlm.api.ModelFormatException;
import org.expertlm.api.ModelStore;
import org.expertlm.api.SentenceEncoder;
import org.expertlm.api.Split;
import org.expertlm.api.TaskExample;
import org.osgi.framework.Bundle;
import org.osgi.framework.Version;
import org.osgi.framework.wiring.BundleCapability;
import org.osgi.framework.wiring.BundleRevision;

/**
 * The checks a bundle passes before its expert is registered, in the order they run: no code; a
 * description the engine's format reads, naming the bundle's own id and version; the base model it names
 * installed with the same sha256; its tensors within the size limit, with the digest the description
 * names and exactly the names and shapes its adapter plan makes; a library of instances with one vector
 * each (vectors of another encoder are computed again with the installed one). Each failure says what was
 * wrong and how to fix it.
 */
final class ExpertCheck {

    /** The largest adapter tensor file an expert bundle may carry. */
    static final long MAX_TENSOR_BYTES = 64L << 20;

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final List<String> CODE_HEADERS = List.of("Bundle-Activator", "Export-Package", "Import-Package",
            "DynamicImport-Package", "Bundle-ClassPath", "Bundle-NativeCode");

    /** A bundle that passed: what its expert is, and what the registry keeps of it. */
    record Checked(ExpertDescriptor expert, AdapterTensors tensors, ExpertLibrary library, String cluster) {
    }

    private final ModelStore store;
    private final ExpertFormat format;
    private final SentenceEncoder encoder;

    ExpertCheck(ModelStore store, ExpertFormat format, SentenceEncoder encoder) {
        this.store = store;
        this.format = format;
        this.encoder = encoder;
    }

    /** The bundle's expert, or the reason it is refused. */
    Checked check(Bundle bundle) throws IOException {
        checkNoCode(bundle);
        String where = bundle.getLocation() + "!/";
        ExpertDescriptor expert = format.read(entry(bundle, ExpertFormat.DESCRIPTION), where + ExpertFormat.DESCRIPTION);
        if (!expert.id().equals(bundle.getSymbolicName()) || !Version.parseVersion(expert.version()).equals(bundle.getVersion())) {
            throw new ModelFormatException(ExpertFormat.DESCRIPTION + " describes " + expert.name() + " but the bundle is "
                    + bundle.getSymbolicName() + "@" + bundle.getVersion() + "; the packager (elm:package) writes both from one "
                    + "description: package the expert again");
        }
        checkBase(expert);
        URL tensorsEntry = bundle.getEntry(ExpertFormat.TENSORS);
        if (tensorsEntry != null && tensorsEntry.openConnection().getContentLengthLong() > MAX_TENSOR_BYTES) {
            throw new ModelFormatException(ExpertFormat.TENSORS + " is " + tensorsEntry.openConnection().getContentLengthLong()
                    + " bytes; an expert bundle's tensors may be at most " + MAX_TENSOR_BYTES + " (an adapter is a few MB: is this "
                    + "a whole model?)");
        }
        AdapterTensors tensors = BundleExpert.read(bundle, expert);
        format.checkTensors(expert, tensors, where + ExpertFormat.TENSORS);
        return new Checked(expert, tensors, library(bundle, where), cluster(bundle));
    }

    private static void checkNoCode(Bundle bundle) throws ModelFormatException {
        Enumeration<URL> classes = bundle.findEntries("/", "*.class", true);
        if (classes != null && classes.hasMoreElements()) {
            throw new ModelFormatException("the bundle holds code (" + classes.nextElement().getPath()
                    + "); an expert bundle is data only: remove the class files, or package the expert with elm:package");
        }
        for (String header : CODE_HEADERS) {
            if (bundle.getHeaders("").get(header) != null) {
                throw new ModelFormatException("the bundle's manifest has " + header + "; an expert bundle is data only, with no "
                        + "code headers: package the expert with elm:package");
            }
        }
    }

    private void checkBase(ExpertDescriptor expert) throws ModelFormatException {
        BaseModelRef installed;
        try {
            installed = store.baseModel(expert.base().id());
        } catch (IllegalArgumentException e) {
            throw new ModelFormatException("expert " + expert.name() + " adapts base model " + expert.base().id()
                    + ", which this container does not have: " + e.getMessage(), e);
        }
        if (!installed.sha256().equals(expert.base().sha256())) {
            throw new ModelFormatException("expert " + expert.name() + " adapts base model " + expert.base().id() + " with sha256 "
                    + expert.base().sha256() + ", but the installed one has " + installed.sha256()
                    + "; train the expert again over the installed base model");
        }
    }

    /** The library's instances and vectors; vectors of another encoder are computed again with the installed one. */
    private ExpertLibrary library(Bundle bundle, String where) throws IOException {
        List<TaskExample> instances = instances(bundle, where + ExpertBundleLayout.LIBRARY);
        AdapterTensors shipped;
        try (InputStream in = entry(bundle, ExpertBundleLayout.LIBRARY_VECTORS)) {
            shipped = AdapterTensors.read(in, where + ExpertBundleLayout.LIBRARY_VECTORS);
        }
        String madeBy = shipped.metadata().getOrDefault("encoder", "");
        if (madeBy.isEmpty() || !shipped.contains("vectors")) {
            throw new ModelFormatException(where + ExpertBundleLayout.LIBRARY_VECTORS + " has no 'vectors' tensor tagged with its "
                    + "encoder; expected [instances, dimension] vectors and metadata encoder=<id>: package the expert again");
        }
        List<String> texts = instances.stream().map(ExpertBundleLayout::vectorText).toList();
        if (!madeBy.equals(encoder.modelId())) {
            List<float[]> recomputed = encoder.embed(texts);
            String source = where + ExpertBundleLayout.LIBRARY + " (embedded again by " + encoder.modelId() + ")";
            requireDirections(recomputed, source, "its text is one the encoder cannot embed: correct that instance");
            return new ExpertLibrary(instances, recomputed, encoder.modelId(), madeBy);
        }
        long[] expected = {instances.size(), encoder.dimension()};
        long[] shape = shipped.shape("vectors");
        if (!Arrays.equals(shape, expected)) {
            throw new ModelFormatException(where + ExpertBundleLayout.LIBRARY_VECTORS + ": 'vectors' has shape "
                    + Arrays.toString(shape) + "; expected " + Arrays.toString(expected) + " (one vector of " + encoder.modelId()
                    + " per instance of " + ExpertBundleLayout.LIBRARY + "): package the expert again");
        }
        float[] values = shipped.values("vectors");
        List<float[]> vectors = new ArrayList<>();
        for (int i = 0; i < instances.size(); i++) {
            vectors.add(Arrays.copyOfRange(values, i * encoder.dimension(), (i + 1) * encoder.dimension()));
        }
        requireDirections(vectors, where + ExpertBundleLayout.LIBRARY_VECTORS, "package the expert again");
        return new ExpertLibrary(instances, vectors, madeBy, madeBy);
    }

    /** Every vector finite and not of length 0: retrieval compares directions only, and such a vector has none. */
    private void requireDirections(List<float[]> vectors, String source, String fix) throws ModelFormatException {
        for (int i = 0; i < vectors.size(); i++) {
            double squares = 0;
            for (float x : vectors.get(i)) {
                squares += (double) x * x;
            }
            if (!(squares > 0) || !Double.isFinite(squares)) {
                throw new ModelFormatException(source + ": the vector of library instance " + i + " has length "
                        + Math.sqrt(squares) + "; expected a finite, non-zero sentence vector of " + encoder.modelId()
                        + ": " + fix);
            }
        }
    }

    private static List<TaskExample> instances(Bundle bundle, String source) throws IOException {
        List<TaskExample> instances = new ArrayList<>();
        try (BufferedReader lines = new BufferedReader(new InputStreamReader(entry(bundle, ExpertBundleLayout.LIBRARY),
                StandardCharsets.UTF_8))) {
            int number = 0;
            for (String line; (line = lines.readLine()) != null;) {
                number++;
                if (line.isBlank()) {
                    continue;
                }
                instances.add(instance(line, source + ":" + number));
            }
        }
        if (instances.isEmpty() || instances.size() > ExpertPackager.LIBRARY_SIZE) {
            throw new ModelFormatException(source + " holds " + instances.size() + " instances; a library holds 1 to "
                    + ExpertPackager.LIBRARY_SIZE + ": package the expert again");
        }
        return instances;
    }

    private static TaskExample instance(String line, String where) throws ModelFormatException {
        JsonNode json;
        try {
            json = JSON.readTree(line);
        } catch (JsonProcessingException e) {
            throw new ModelFormatException(where + " is not JSON: " + e.getOriginalMessage());
        }
        if (json == null || !json.isObject() || !json.path("input").isTextual() || !json.path("target").isTextual()) {
            throw new ModelFormatException(where + " is not a library instance; expected an object with text fields input and "
                    + "target (and template, id, choices)");
        }
        List<String> choices = new ArrayList<>();
        json.path("choices").forEach(c -> choices.add(c.asText()));
        return new TaskExample(json.path("template").asText(""), json.path("id").asText(""), Split.TRAIN,
                json.get("input").asText(), json.get("target").asText(), choices);
    }

    /** The cluster the bundle's elm.expert capability declares (the framework parsed the header), or empty. */
    static String cluster(Bundle bundle) {
        BundleRevision revision = bundle.adapt(BundleRevision.class);
        if (revision == null) {
            return "";
        }
        for (BundleCapability capability : revision.getDeclaredCapabilities(ExpertBundleLayout.NAMESPACE)) {
            Object cluster = capability.getAttributes().get("cluster");
            if (cluster != null) {
                return cluster.toString();
            }
        }
        return "";
    }

    static InputStream entry(Bundle bundle, String name) throws IOException {
        URL url = bundle.getEntry(name);
        if (url == null) {
            throw new ModelFormatException("the bundle has no " + name + "; an expert bundle carries " + ExpertFormat.DESCRIPTION
                    + ", " + ExpertFormat.TENSORS + ", " + ExpertBundleLayout.LIBRARY + " and " + ExpertBundleLayout.LIBRARY_VECTORS
                    + " (see expert-bundles/README.md)");
        }
        return url.openStream();
    }
}

package org.expertlm.composition.internal;

import java.io.IOException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.TreeMap;
import java.util.TreeSet;

import org.expertlm.api.AdapterConfig;
import org.expertlm.api.AdapterTensors;
import org.expertlm.api.AnswerFormat;
import org.expertlm.api.Composer.Recipe;
import org.expertlm.api.Expert;
import org.expertlm.api.ExpertDescriptor;
import org.expertlm.api.ExpertKind;
import org.expertlm.api.ExpertLibrary;
import org.expertlm.api.ExpertPackager;
import org.expertlm.api.MergeMethod;
import org.expertlm.api.TaskExample;

/**
 * One merge: the members checked for compatibility (one base model, adapters in the same places and of the same
 * sizes, no full-decoder fine-tune), their tensors turned into task vectors ({@link DeltaSpace}), merged tensor by
 * tensor by the recipe's method, and the result described as a composite expert whose provenance is the recipe.
 */
final class Composition {

    /** The version every composite has: its id already names its recipe. */
    static final String VERSION = "1.0.0";

    private Composition() {
    }

    /**
     * The composite {@code recipe} makes of {@code members} (the recipe's, resolved, in its order), called {@code id};
     * {@code initial} is what the members' adapter plan starts from before training.
     *
     * @throws IllegalArgumentException when the members cannot be merged, naming the mismatch
     */
    static Expert merge(String id, Recipe recipe, List<Expert> members, MergeMethod method, AdapterTensors initial)
            throws IOException {
        ExpertDescriptor first = members.get(0).descriptor();
        for (Expert member : members) {
            compatible(first, member.descriptor());
        }
        List<AdapterTensors> tensors = new ArrayList<>();
        for (Expert member : members) {
            tensors.add(member.tensors());
        }
        for (int m = 1; m < members.size(); m++) {
            sameTensors(members.get(0), DeltaSpace.shapes(tensors.get(0)), members.get(m), DeltaSpace.shapes(tensors.get(m)));
            if (!tensors.get(m).metadata().equals(tensors.get(0).metadata())) {
                throw new IllegalArgumentException("the tensor files of " + first.name() + " and " + members.get(m).descriptor().name()
                        + " have other metadata (" + tensors.get(0).metadata() + ", " + tensors.get(m).metadata()
                        + "): they were written by other versions of ELM; package them again with this one");
            }
        }
        double[] weights = recipe.weights().stream().mapToDouble(Double::doubleValue).toArray();
        // A linear method's LoRA merge is carried as stacked factors (exact, and nothing materialised) while it stays
        // narrower than the updates; otherwise every update ΔW is materialised and merged entry by entry.
        double[] linear = method.linearCoefficients(weights, parameters(recipe, "")).orElse(null);
        boolean stack = linear != null && DeltaSpace.stackable(tensors);
        // Tensor by tensor, side by side: each tensor's task vectors (a LoRA update materialised), then their merge.
        // Tensors are independent, and the few large updates dominate (MergeMethod's contract allows calls at once).
        Map<String, long[]> shapes = DeltaSpace.shapes(tensors.get(0));
        if (stack) {
            shapes.keySet().removeIf(name -> name.endsWith(DeltaSpace.DELTA));
        }
        List<String> names = List.copyOf(shapes.keySet());
        List<float[]> outs = SideBySide.map(names, name -> AdapterTensors.count(shapes.get(name)), name -> {
            List<float[]> column = new ArrayList<>(members.size());
            for (int m = 0; m < members.size(); m++) {
                column.add(DeltaSpace.vector(members.get(m).descriptor().adapter(), tensors.get(m), initial, name));
            }
            float[] out = method.merge(column, weights, parameters(recipe, name));
            if (out.length != column.get(0).length) {
                throw new IllegalStateException("merge method " + recipe.method() + " gave " + out.length + " values for tensor "
                        + name + " of " + column.get(0).length);
            }
            finite(recipe, name, out);
            return out;
        });
        Map<String, float[]> merged = new TreeMap<>();
        for (int t = 0; t < names.size(); t++) {
            merged.put(names.get(t), outs.get(t));
        }
        AdapterTensors.Builder built = AdapterTensors.builder();
        tensors.get(0).metadata().forEach(built::metadata);
        int rank;
        if (stack) {
            rank = DeltaSpace.stacked(tensors, members.stream().map(m -> m.descriptor().adapter()).toList(), linear, built);
        } else {
            rank = DeltaSpace.compositeRank(shapes);
        }
        DeltaSpace.tensors(new DeltaSpace.Vectors(merged, shapes), initial, built);
        AdapterTensors composite = built.build();
        if (stack) {
            for (String name : composite.names()) {
                finite(recipe, name, composite.values(name));
            }
        }
        AdapterConfig a = first.adapter();
        AdapterConfig plan = rank == 0 ? a : new AdapterConfig(a.houlsby(), a.reduction(), a.lora(), rank, rank, a.encoderLayers(),
                a.seed());
        ExpertDescriptor descriptor = new ExpertDescriptor(id, VERSION, ExpertKind.COMPOSITE.id(), templates(members),
                ExpertKind.COMPOSITE, first.base(), plan, answers(members), composite.sha256(), provenance(recipe, tensors));
        return new CompositeExpert(descriptor, composite, library(members));
    }

    /**
     * The members' library instances taken in turn, one of each member's after the other, up to a library's size: what a
     * composite's bundle carries when it is packaged (retrieval itself never picks a composite, only its members).
     */
    private static ExpertLibrary library(List<Expert> members) {
        List<TaskExample> instances = new ArrayList<>();
        List<float[]> vectors = new ArrayList<>();
        int most = members.stream().mapToInt(m -> m.library().instances().size()).max().orElse(0);
        for (int i = 0; i < most && instances.size() < ExpertPackager.LIBRARY_SIZE; i++) {
            for (Expert m : members) {
                ExpertLibrary l = m.library();
                if (i < l.instances().size() && instances.size() < ExpertPackager.LIBRARY_SIZE) {
                    instances.add(l.instances().get(i));
                    vectors.add(l.vectors().get(i));
                }
            }
        }
        String encoder = members.get(0).library().encoder();
        return new ExpertLibrary(instances, vectors, encoder, encoder);
    }

    private static void compatible(ExpertDescriptor first, ExpertDescriptor other) {
        if (other.isFullDecoder()) {
            throw new IllegalArgumentException(other.name() + " is a full-decoder fine-tune; composition merges adapter experts "
                    + "(a full decoder has no adapter to merge)");
        }
        if (other.kind() == ExpertKind.COMPOSITE) {
            throw new IllegalArgumentException(other.name() + " is itself a composite; merge its members instead");
        }
        if (!other.base().equals(first.base())) {
            throw new IllegalArgumentException(first.name() + " adapts base model " + first.base().id() + " but " + other.name()
                    + " adapts " + other.base().id() + "; only experts of one base model can be merged");
        }
        AdapterConfig a = first.adapter();
        AdapterConfig b = other.adapter();
        if (!a.houlsby().equals(b.houlsby()) || !a.lora().equals(b.lora()) || a.encoderLayers() != b.encoderLayers()
                || !a.houlsby().isEmpty() && a.reduction() != b.reduction()) {
            throw new IllegalArgumentException("adapters in other places: " + first.name() + " has " + places(a) + " but "
                    + other.name() + " has " + places(b) + "; only experts with adapters in the same places merge");
        }
        if (!a.houlsby().isEmpty() && a.seed() != b.seed()) {
            throw new IllegalArgumentException(first.name() + " and " + other.name() + " started training from other adapters "
                    + "(seeds " + a.seed() + " and " + b.seed() + "); what an expert learned is measured from its start, so only "
                    + "experts trained from one seed merge");
        }
    }

    private static String places(AdapterConfig c) {
        return "Houlsby after " + c.houlsby() + " (reduction " + c.reduction() + "), LoRA on decoder " + c.lora()
                + " and on the top " + c.encoderLayers() + " encoder layers";
    }

    private static void sameTensors(Expert first, Map<String, long[]> a, Expert other, Map<String, long[]> b) {
        for (Map.Entry<String, long[]> e : a.entrySet()) {
            long[] s = b.get(e.getKey());
            if (s == null || !Arrays.equals(s, e.getValue())) {
                throw new IllegalArgumentException("tensor " + e.getKey() + " is " + DeltaSpace.shape(e.getValue()) + " in "
                        + first.descriptor().name() + " but " + (s == null ? "missing" : DeltaSpace.shape(s)) + " in "
                        + other.descriptor().name() + "; only adapters of the same sizes merge");
            }
        }
        for (String name : b.keySet()) {
            if (!a.containsKey(name)) {
                throw new IllegalArgumentException("tensor " + name + " of " + other.descriptor().name() + " is missing in "
                        + first.descriptor().name() + "; only adapters of the same sizes merge");
            }
        }
    }

    private static MergeMethod.Parameters parameters(Recipe recipe, String tensor) {
        return new MergeMethod.Parameters(recipe.density(), recipe.lambda(), recipe.seed(), tensor);
    }

    private static void finite(Recipe recipe, String tensor, float[] values) {
        for (float x : values) {
            if (!Float.isFinite(x)) {
                throw new IllegalArgumentException("merge method " + recipe.method() + " gave " + x + " in tensor " + tensor
                        + "; check the weights and lambda of " + recipe.text());
            }
        }
    }

    private static List<String> templates(List<Expert> members) {
        TreeSet<String> all = new TreeSet<>();
        members.forEach(m -> all.addAll(m.descriptor().templates()));
        return List.copyOf(all);
    }

    /** Generation when every member generates; else ranking, with the members' fixed choices where they all agree. */
    private static AnswerFormat answers(List<Expert> members) {
        List<AnswerFormat> formats = members.stream().map(m -> m.descriptor().answers()).toList();
        if (formats.stream().allMatch(AnswerFormat::generation)) {
            return AnswerFormat.generated();
        }
        List<String> choices = formats.get(0).choices();
        return AnswerFormat.choices(formats.stream().allMatch(f -> f.choices().equals(choices)) ? choices : List.of());
    }

    /** The recipe as one JSON object: what was merged (with each member's tensor digest), how, and its id. */
    private static String provenance(Recipe recipe, List<AdapterTensors> tensors) {
        StringBuilder members = new StringBuilder();
        for (int m = 0; m < recipe.members().size(); m++) {
            members.append(m == 0 ? "" : ",").append("{\"expert\":").append(quote(recipe.members().get(m)))
                    .append(",\"tensorsSha256\":").append(quote(tensors.get(m).sha256())).append('}');
        }
        return "{\"recipe\":" + quote(recipe.text()) + ",\"recipeId\":" + quote(recipe.id()) + ",\"method\":"
                + quote(recipe.method()) + ",\"members\":[" + members + "],\"weights\":" + recipe.weights() + ",\"density\":"
                + recipe.density() + ",\"lambda\":" + recipe.lambda() + ",\"seed\":" + recipe.seed() + "}";
    }

    private static String quote(String s) {
        return '"' + Objects.requireNonNull(s).replace("\\", "\\\\").replace("\"", "\\\"") + '"';
    }
}

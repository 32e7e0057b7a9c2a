package org.expertlm.composition.internal;

import static org.junit.Assert.assertArrayEquals;
import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertThrows;
import static org.junit.Assert.assertTrue;

import java.util.Arrays;
import java.util.List;
import java.util.Set;

import org.expertlm.api.AdapterConfig;
import org.expertlm.api.AdapterTensors;
import org.expertlm.api.AnswerFormat;
import org.expertlm.api.Composer.Recipe;
import org.expertlm.api.Expert;
import org.expertlm.api.ExpertDescriptor;
import org.expertlm.api.ExpertFormat;
import org.expertlm.api.ExpertKind;
import org.expertlm.api.ExpertLibrary;
import org.expertlm.api.MergeMethod;
import org.expertlm.api.Split;
import org.expertlm.api.TaskExample;
import org.expertlm.api.BaseModelRef;
import org.junit.Test;

/**
 * Merges of small hand-made experts: LoRA merged as updates (the composite's A·B is the mean of the members' A·B, which
 * the product of the mean factors is not), bottleneck tensors merged as what training added, members of other LoRA
 * ranks merged, a linear merge of narrow pairs carried as stacked factors with the updates a materialised merge gives,
 * and members that cannot be merged refused with the mismatch named.
 */
public class CompositionTest {

    private static final BaseModelRef BASE = new BaseModelRef("fixture@sha256:0123456789abcdef", "a".repeat(64));
    private static final String Q = "encoder.layer.5.attention.self.query";
    private static final String UP = "decoder.layer.0.cross.adapter.up.weight";
    /** Where the members' plan starts: only its bottleneck tensor's start matters (LoRA's B starts at zero). */
    private static final AdapterTensors INITIAL = AdapterTensors.builder()
            .put(UP, new long[] {2, 4}, MergeMethodConformance.random(999, 8)).build();

    @Test
    public void loraMergesAsTheMeanOfTheUpdatesNotOfTheFactors() throws Exception {
        Expert a = expert("a", BASE, plan(2, 4, Set.of("cross")), 2, 1);
        Expert b = expert("b", BASE, plan(2, 4, Set.of("cross")), 2, 2);
        Expert merged = Composition.merge("m", Recipe.of(List.of("a@1.0.0", "b@1.0.0"), "average"), List.of(a, b),
                new UniformAverage(), INITIAL);
        AdapterConfig plan = merged.descriptor().adapter();
        assertEquals("a full-rank plan", 4, plan.loraRank());
        assertEquals("of scale 1", 4, plan.loraAlpha(), 0);
        AdapterTensors t = merged.tensors();
        assertFalse("the update carried whole, not as a pair", t.contains(Q + ".lora_a") || t.contains(Q + ".lora_b"));
        assertEquals(List.of(4L, 4L), Arrays.stream(t.shape(Q + ExpertFormat.LORA_UPDATE)).boxed().toList());
        float[] mean = mean(update(a), update(b));
        assertArrayEquals(mean, t.values(Q + ExpertFormat.LORA_UPDATE), 1e-6f);
        float[] factors = DeltaSpace.product(mean(a.tensors().values(Q + ".lora_a"), b.tensors().values(Q + ".lora_a")),
                mean(a.tensors().values(Q + ".lora_b"), b.tensors().values(Q + ".lora_b")), 4, 2, 4, 2);
        assertFalse("averaging the factors is another model", maxDifference(mean, factors) < 1e-3);
        assertArrayEquals(mean(a.tensors().values(UP), b.tensors().values(UP)), t.values(UP), 1e-6f);

        ExpertDescriptor d = merged.descriptor();
        assertEquals("m@1.0.0", d.name());
        assertEquals(ExpertKind.COMPOSITE, d.kind());
        assertEquals(t.sha256(), d.tensorsSha256());
        assertTrue(d.provenance(), d.provenance().contains("\"members\":[{\"expert\":\"a@1.0.0\",\"tensorsSha256\":\""
                + a.tensors().sha256() + "\"}"));
        assertTrue(d.provenance(), d.provenance().contains("\"method\":\"average\""));
        assertEquals("the members' library instances in turn", List.of("a#0", "b#0", "a#1", "b#1"),
                merged.library().instances().stream().map(TaskExample::id).toList());
        assertArrayEquals(b.library().vectors().get(1), merged.library().vectors().get(3), 0);
    }

    @Test
    public void membersOfOtherLoraRanksMergeInDeltaSpace() throws Exception {
        Expert a = expert("a", BASE, plan(2, 4, Set.of("cross")), 2, 1);
        Expert c = expert("c", BASE, plan(3, 3, Set.of("cross")), 3, 3);
        Expert merged = Composition.merge("m", Recipe.of(List.of("a@1.0.0", "c@1.0.0"), "task-arithmetic"), List.of(a, c),
                new TaskArithmetic(), INITIAL);
        AdapterTensors t = merged.tensors();
        float[] sum = update(a);
        float[] other = update(c);
        for (int j = 0; j < sum.length; j++) {
            sum[j] += other[j];
        }
        assertArrayEquals(sum, t.values(Q + ExpertFormat.LORA_UPDATE), 1e-5f);
        // A bottleneck tensor adds what each member learned, θ − θ₀, to the start θ₀: not the members' raw values.
        float[] start = INITIAL.values(UP);
        float[] ua = a.tensors().values(UP);
        float[] uc = c.tensors().values(UP);
        float[] expected = new float[start.length];
        for (int j = 0; j < expected.length; j++) {
            expected[j] = start[j] + (ua[j] - start[j]) + (uc[j] - start[j]);
        }
        assertArrayEquals(expected, t.values(UP), 1e-5f);
    }

    @Test
    public void aLinearMergeOfNarrowPairsIsCarriedAsStackedFactorsWithTheSameUpdates() throws Exception {
        Expert a = expert("a", BASE, plan(1, 2, Set.of("cross")), 1, 1);
        Expert b = expert("b", BASE, plan(1, 3, Set.of("cross")), 1, 2);
        Recipe recipe = Recipe.of(List.of("a@1.0.0", "b@1.0.0"), "weighted").withWeights(List.of(1.0, 3.0));
        Expert stacked = Composition.merge("m", recipe, List.of(a, b), new WeightedAverage(), INITIAL);
        assertEquals("two rank-1 pairs side by side", 2, stacked.descriptor().adapter().loraRank());
        assertEquals(List.of(4L, 2L), Arrays.stream(stacked.tensors().shape(Q + ".lora_a")).boxed().toList());
        float[] expected = update(a);
        float[] ub = update(b);
        for (int j = 0; j < expected.length; j++) {
            expected[j] = (expected[j] + 3 * ub[j]) / 4;
        }
        assertArrayEquals(expected, update(stacked), 1e-6f);

        // The same method made opaque (no coefficients) materialises the updates: the same model, another form.
        MergeMethod opaque = (vectors, weights, p) -> new WeightedAverage().merge(vectors, weights, p);
        Expert materialised = Composition.merge("m", recipe, List.of(a, b), opaque, INITIAL);
        assertEquals("a full-rank plan, the update carried whole", 4, materialised.descriptor().adapter().loraRank());
        assertArrayEquals(update(materialised), update(stacked), 1e-6f);
        assertArrayEquals(materialised.tensors().values(UP), stacked.tensors().values(UP), 1e-6f);
    }

    @Test
    public void membersThatCannotBeMergedAreRefusedWithTheMismatchNamed() {
        Expert a = expert("a", BASE, plan(2, 4, Set.of("cross")), 2, 1);
        Expert otherBase = expert("b", new BaseModelRef("other@sha256:fedcba9876543210", "b".repeat(64)), plan(2, 4,
                Set.of("cross")), 2, 2);
        Expert otherPlaces = expert("c", BASE, plan(2, 4, Set.of("ffn")), 2, 3);
        ExpertDescriptor full = new ExpertDescriptor("full", "1.0.0", "multitask", List.of(), ExpertKind.MULTITASK, BASE, null,
                AnswerFormat.choices(List.of()), "c".repeat(64), "{}");
        Expert fullDecoder = new CompositeExpert(full, AdapterTensors.builder().build(), library());
        assertRefused(List.of(a, otherBase), "adapts other@sha256:fedcba9876543210; only experts of one base model");
        assertRefused(List.of(a, otherPlaces), "adapters in other places");
        assertRefused(List.of(a, fullDecoder), "full@1.0.0 is a full-decoder fine-tune");
        AdapterConfig otherSeed = new AdapterConfig(Set.of("cross"), 192, Set.of(), 2, 4, 1, 8);
        assertRefused(List.of(a, expert("d", BASE, otherSeed, 2, 4)), "started training from other adapters (seeds 7 and 8)");
    }

    private static void assertRefused(List<Expert> members, String message) {
        Recipe recipe = Recipe.of(members.stream().map(m -> m.descriptor().name()).toList(), "average");
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> Composition.merge("m", recipe, members, new UniformAverage(), INITIAL));
        assertTrue(e.getMessage(), e.getMessage().contains(message));
    }

    private static AdapterConfig plan(int rank, double alpha, Set<String> houlsby) {
        return new AdapterConfig(houlsby, 192, Set.of(), rank, alpha, 1, 7);
    }

    /** An expert with a LoRA pair of {@code rank} on one 4-wide projection and a 2 × 4 bottleneck tensor, seeded. */
    private static Expert expert(String id, BaseModelRef base, AdapterConfig plan, int rank, long seed) {
        AdapterTensors tensors = AdapterTensors.builder()
                .put(Q + ".lora_a", new long[] {4, rank}, MergeMethodConformance.random(seed, 4 * rank))
                .put(Q + ".lora_b", new long[] {rank, 4}, MergeMethodConformance.random(seed + 100, rank * 4))
                .put(UP, new long[] {2, 4}, MergeMethodConformance.random(seed + 200, 8)).build();
        ExpertDescriptor d = new ExpertDescriptor(id, "1.0.0", id, List.of(id), ExpertKind.PROMPT, base, plan,
                AnswerFormat.choices(List.of("yes", "no")), tensors.sha256(), "{}");
        return new CompositeExpert(d, tensors, library(id, seed));
    }

    private static ExpertLibrary library() {
        return new ExpertLibrary(List.of(), List.of(), "encoder", "encoder");
    }

    private static TaskExample instance(String id, int i) {
        return new TaskExample(id + "/t", id + "#" + i, Split.TRAIN, "input " + i, "yes", List.of("yes", "no"));
    }

    /** Two library instances of {@code id}'s, ids {@code id#0} and {@code id#1}, with seeded vectors. */
    private static ExpertLibrary library(String id, long seed) {
        List<TaskExample> instances = List.of(instance(id, 0), instance(id, 1));
        return new ExpertLibrary(instances, List.of(MergeMethodConformance.random(seed, 4), MergeMethodConformance.random(seed + 1, 4)),
                "encoder", "encoder");
    }

    /** The expert's update of {@link #Q}, ΔW, from its LoRA pair or as carried whole. */
    private static float[] update(Expert e) throws Exception {
        AdapterConfig plan = e.descriptor().adapter();
        AdapterTensors t = e.tensors();
        if (t.contains(Q + ExpertFormat.LORA_UPDATE)) {
            return t.values(Q + ExpertFormat.LORA_UPDATE);
        }
        return DeltaSpace.product(t.values(Q + ".lora_a"), t.values(Q + ".lora_b"), 4, (int) t.shape(Q + ".lora_a")[1], 4,
                plan.loraAlpha() / plan.loraRank());
    }

    private static float[] mean(float[] x, float[] y) {
        float[] m = new float[x.length];
        for (int j = 0; j < m.length; j++) {
            m[j] = (x[j] + y[j]) / 2;
        }
        return m;
    }

    private static double maxDifference(float[] x, float[] y) {
        double max = 0;
        for (int j = 0; j < x.length; j++) {
            max = Math.max(max, Math.abs(x[j] - y[j]));
        }
        return max;
    }
}

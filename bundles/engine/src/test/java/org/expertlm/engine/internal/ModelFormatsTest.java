package org.expertlm.engine.internal;

import static org.junit.Assert.assertArrayEquals;
import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertThrows;
import static org.junit.Assert.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;

import org.expertlm.api.AdapterTensors;
import org.expertlm.api.AnswerFormat;
import org.expertlm.api.BaseModelRef;
import org.expertlm.api.ExpertDescriptor;
import org.expertlm.api.ExpertFormat;
import org.expertlm.api.ExpertKind;
import org.expertlm.api.ModelFormatException;
import org.expertlm.api.ScoringInput;
import org.expertlm.engine.MiniLmFiles;
import org.expertlm.engine.encoder.MiniLmModel;
import org.expertlm.engine.graph.AdapterPlan;
import org.expertlm.engine.graph.SideBySide;
import org.expertlm.engine.lm.BaseModel;
import org.expertlm.engine.lm.DecoderConfig;
import org.expertlm.engine.lm.DecoderLm;
import org.expertlm.engine.lm.ExpertFiles;
import org.expertlm.engine.lm.LoadedModel;
import org.expertlm.engine.lm.LoraUpdates;
import org.expertlm.engine.tensor.FloatTensor;
import org.expertlm.engine.tensor.ModelFiles;
import org.junit.AfterClass;
import org.junit.BeforeClass;
import org.junit.ClassRule;
import org.junit.Test;
import org.junit.rules.TemporaryFolder;
import org.nd4j.autodiff.samediff.SameDiff;
import org.nd4j.linalg.api.buffer.DataType;

/**
 * Every persisted format is checked on read: a wrong format version, another base model's digest,
 * tampered tensors and wrong shapes are refused with what was found, what was expected and a fix.
 * Over a base model of random weights (what is checked is the files, not what the model says).
 */
public class ModelFormatsTest {

    /** Two graphs side by side, as the engine runs them on two cores. */
    private static final SideBySide WORKERS = new SideBySide(2);

    @ClassRule
    public static TemporaryFolder folder = new TemporaryFolder();

    private static MiniLmModel encoder;
    private static ModelFolders store;
    private static BaseModel base;
    private static AdapterPlan plan = new AdapterPlan(Set.of("cross"), 32, Set.of(), 4, 8, 0, 1);

    @BeforeClass
    public static void writeABaseModelAndAnExpert() throws IOException {
        encoder = MiniLmFiles.model(1);
        Path user = folder.getRoot().toPath().resolve("user");
        store = new ModelFolders(user, folder.getRoot().toPath().resolve("shipped"));
        DecoderConfig config = new DecoderConfig(1, 384, 2, 32, 8, new int[] {101, 102, 100, 2748, 2053, 3893, 4997});
        Random random = new Random(5);
        Map<String, FloatTensor> tensors = new LinkedHashMap<>();
        BaseModel.expectedShapes(config).forEach((name, shape) -> {
            float[] values = new float[(int) AdapterTensors.count(shape)];
            for (int i = 0; i < values.length; i++) {
                values[i] = (float) random.nextGaussian() * 0.02f;
            }
            tensors.put(name, new FloatTensor(shape, values));
        });
        base = BaseModel.write(store.baseOutput("fixture"), "fixture", encoder.id(), config, tensors,
                ModelFiles.JSON.createObjectNode());
    }

    @AfterClass
    public static void close() {
        encoder.close();
    }

    /** An expert with the plan's adapters as they start (identity), written into the store. */
    private static ExpertDescriptor writeExpert(String id) throws IOException {
        SameDiff sd = SameDiff.create();
        DecoderLm lm = DecoderLm.withAdapters(base, encoder.weights(), sd, plan, DataType.FLOAT);
        Map<String, FloatTensor> trained = new LinkedHashMap<>();
        sd.variables().stream().filter(v -> v.getVariableType() == org.nd4j.autodiff.samediff.VariableType.VARIABLE)
                .forEach(v -> trained.put(v.name(), new FloatTensor(v.getArr().shape(), v.getArr().dup('c').data().asFloat())));
        lm.close();
        AdapterTensors tensors = ExpertFiles.tensors(trained);
        ExpertDescriptor d = new ExpertDescriptor(id, "1.0.0", "fixture/yes-no", List.of("fixture/yes-no"), ExpertKind.PROMPT,
                base.ref(), plan.config(), AnswerFormat.choices(List.of("yes", "no")), tensors.sha256(), "{\"seed\":1}");
        ExpertFiles.write(store.expertFolder(id), d, tensors);
        return d;
    }

    @Test
    public void anExpertAsWrittenIsListedReadAndScores() throws IOException {
        ExpertDescriptor d = writeExpert("good");
        assertTrue(store.experts().contains(d));
        assertEquals(d, store.expert("good@1.0.0"));
        assertEquals(base.ref(), store.baseModel("fixture"));
        try (LoadedModel model = LoadedModel.expert(store.base(d.base()), d, store.tensors(d), encoder, WORKERS)) {
            List<double[]> scores = model.score(List.of(new ScoringInput("is it so?", List.of("yes", "no")),
                    new ScoringInput("three ways", List.of("yes", "no", "yes no"))), false);
            assertEquals(2, scores.get(0).length);
            assertEquals(3, scores.get(1).length);
            assertTrue(model.bytes() > 0);
        }
    }

    @Test
    public void anotherFormatVersionIsRefusedWithWhatToDo() throws IOException {
        writeExpert("old-format");
        Path description = store.expertFolder("old-format").resolve(ExpertFiles.DESCRIPTION);
        Files.writeString(description, Files.readString(description).replace("\"elm-expert/1\"", "\"elm-expert/0\""));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> store.expert("old-format"));
        assertTrue(e.getMessage(), e.getMessage().contains("in format elm-expert/0 but this ELM reads elm-expert/1")
                && e.getMessage().contains("write it again"));

        Path shipped = folder.getRoot().toPath().resolve("other-base");
        Files.createDirectories(shipped);
        Files.copy(store.baseOutput("fixture").resolve(BaseModel.DESCRIPTION), shipped.resolve(BaseModel.DESCRIPTION));
        Files.copy(store.baseOutput("fixture").resolve(BaseModel.TENSORS), shipped.resolve(BaseModel.TENSORS));
        Path copy = shipped.resolve(BaseModel.DESCRIPTION);
        Files.writeString(copy, Files.readString(copy).replace("\"elm-base/1\"", "\"elm-base/2\""));
        ModelFormatException refused = assertThrows(ModelFormatException.class, () -> BaseModel.read(shipped));
        assertTrue(refused.getMessage(), refused.getMessage().contains("in format elm-base/2 but this ELM reads elm-base/1"));
    }

    @Test
    public void anExpertOfAnotherBaseModelIsRefusedNamingBothDigests() throws IOException {
        ExpertDescriptor d = writeExpert("other-base");
        String otherSha = "0".repeat(64);
        ExpertDescriptor foreign = new ExpertDescriptor(d.id(), d.version(), d.task(), d.templates(), d.kind(),
                new BaseModelRef(base.id(), otherSha), d.adapter(), d.answers(), d.tensorsSha256(), d.provenance());
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> store.base(foreign.base()));
        assertTrue(e.getMessage(), e.getMessage().contains(otherSha) && e.getMessage().contains(base.sha256())
                && e.getMessage().contains("install the base model the expert was trained on"));
        IllegalArgumentException loading = assertThrows(IllegalArgumentException.class,
                () -> LoadedModel.expert(base, foreign, store.tensors(d), encoder, WORKERS));
        assertTrue(loading.getMessage(), loading.getMessage().contains("adapts base model"));
    }

    @Test
    public void tamperedTensorsAreRefused() throws IOException {
        ExpertDescriptor d = writeExpert("tampered");
        Path tensors = store.expertFolder("tampered").resolve(ExpertFiles.TENSORS);
        byte[] bytes = Files.readAllBytes(tensors);
        bytes[bytes.length - 1] ^= 1;
        Files.write(tensors, bytes);
        ModelFormatException e = assertThrows(ModelFormatException.class, () -> store.tensors(d));
        assertTrue(e.getMessage(), e.getMessage().contains("has SHA-256") && e.getMessage().contains("names " + d.tensorsSha256()));
    }

    @Test
    public void tensorsOfTheWrongShapesOrNamesAreRefused() throws IOException {
        ExpertDescriptor d = writeExpert("shapes");
        AdapterTensors good = store.tensors(d);
        String first = good.names().stream().filter(n -> good.shape(n).length == 2).findFirst().orElseThrow();
        AdapterTensors.Builder wrong = AdapterTensors.builder().metadata("format", "elm-expert");
        for (String name : good.names()) {
            float[] v = good.values(name);
            if (name.equals(first)) {
                wrong.put(name, new long[] {v.length}, v);
            } else {
                wrong.put(name, good.shape(name), v);
            }
        }
        AdapterTensors reshaped = wrong.build();
        ExpertDescriptor claims = new ExpertDescriptor(d.id(), d.version(), d.task(), d.templates(), d.kind(), d.base(),
                d.adapter(), d.answers(), reshaped.sha256(), d.provenance());
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> LoadedModel.expert(base, claims, reshaped, encoder, WORKERS));
        assertTrue(e.getMessage(), e.getMessage().contains("tensor '" + first + "' has shape"));

        AdapterTensors extra = AdapterTensors.builder().metadata("format", "elm-expert").put("stray", new long[] {1},
                new float[] {1}).build();
        ExpertDescriptor strayClaims = new ExpertDescriptor(d.id(), d.version(), d.task(), d.templates(), d.kind(), d.base(),
                d.adapter(), d.answers(), extra.sha256(), d.provenance());
        IllegalArgumentException names = assertThrows(IllegalArgumentException.class,
                () -> LoadedModel.expert(base, strayClaims, extra, encoder, WORKERS));
        assertTrue(names.getMessage(), names.getMessage().contains("unexpected [stray]"));
    }

    /**
     * A composite's merged LoRA updates come carried whole ({@code <projection>.delta}, ΔW itself) under a plan of full
     * rank and scale 1: such an expert passes the shape check and scores as the same model written as pairs, and a
     * plan that cannot hold it (here rank 4, alpha 8) refuses it naming the tensor.
     */
    @Test
    public void loraUpdatesCarriedWholeScoreAsTheirPairs() throws IOException {
        AdapterPlan full = new AdapterPlan(Set.of(), 32, Set.of("cross"), 384, 384, 0, 1);
        SameDiff sd = SameDiff.create();
        DecoderLm lm = DecoderLm.withAdapters(base, encoder.weights(), sd, full, DataType.FLOAT);
        Map<String, long[]> shapes = lm.trainableShapes();
        lm.close();
        Random random = new Random(9);
        AdapterTensors.Builder pairs = AdapterTensors.builder().metadata("format", "elm-expert");
        AdapterTensors.Builder whole = AdapterTensors.builder().metadata("format", "elm-expert");
        for (String name : shapes.keySet()) {
            if (!name.endsWith(".lora_a")) {
                continue;
            }
            String projection = name.substring(0, name.length() - ".lora_a".length());
            int in = (int) shapes.get(name)[0];
            int rank = (int) shapes.get(name)[1];
            int out = (int) shapes.get(projection + ".lora_b")[1];
            float[] a = gaussian(random, in * rank, 0.2);
            float[] b = gaussian(random, rank * out, 0.2);
            float[] update = new float[in * out];
            for (int i = 0; i < in; i++) {
                for (int k = 0; k < rank; k++) {
                    for (int j = 0; j < out; j++) {
                        update[i * out + j] += a[i * rank + k] * b[k * out + j];
                    }
                }
            }
            pairs.put(name, new long[] {in, rank}, a).put(projection + ".lora_b", new long[] {rank, out}, b);
            whole.put(projection + ExpertFormat.LORA_UPDATE, new long[] {in, out}, update);
        }
        AdapterTensors asPairs = pairs.build();
        AdapterTensors asWhole = whole.build();
        assertEquals(shapes.size() / 2, asWhole.names().size());
        asWhole.checkShapes(LoraUpdates.expected(shapes, asWhole, full.config(), "whole"), "whole");

        List<ScoringInput> inputs = List.of(new ScoringInput("is it so?", List.of("yes", "no")),
                new ScoringInput("three ways", List.of("yes", "no", "yes no")));
        List<double[]> expected;
        List<double[]> scores;
        List<double[]> unadapted;
        try (LoadedModel model = LoadedModel.expert(base, descriptor("pairs", full, asPairs), asPairs, encoder, WORKERS)) {
            expected = model.score(inputs, false);
        }
        try (LoadedModel model = LoadedModel.expert(base, descriptor("whole", full, asWhole), asWhole, encoder, WORKERS)) {
            scores = model.score(inputs, false);
        }
        try (LoadedModel model = LoadedModel.base(base, encoder, WORKERS)) {
            unadapted = model.score(inputs, false);
        }
        for (int i = 0; i < inputs.size(); i++) {
            assertArrayEquals(expected.get(i), scores.get(i), 1e-5);
            double moved = 0;
            for (int c = 0; c < scores.get(i).length; c++) {
                moved = Math.max(moved, Math.abs(unadapted.get(i)[c] - scores.get(i)[c]));
            }
            // A small model of random weights answers near uniformly: the updates move it by about 0.01, a hundred times the
            // tolerance above.
            assertTrue("the updates change the model: " + moved, moved > 1e-3);
        }

        ExpertDescriptor narrow = descriptor("narrow", plan, asWhole);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> LoadedModel.expert(base, narrow, asWhole, encoder, WORKERS));
        assertTrue(e.getMessage(), e.getMessage().contains("carried whole, which only a plan of rank 384 and alpha 384 holds, "
                + "not rank 4 and alpha 8.0"));
    }

    private static ExpertDescriptor descriptor(String id, AdapterPlan plan, AdapterTensors tensors) {
        return new ExpertDescriptor(id, "1.0.0", "fixture/yes-no", List.of("fixture/yes-no"), ExpertKind.COMPOSITE, base.ref(),
                plan.config(), AnswerFormat.choices(List.of("yes", "no")), tensors.sha256(), "{}");
    }

    private static float[] gaussian(Random random, int n, double std) {
        float[] v = new float[n];
        for (int i = 0; i < n; i++) {
            v[i] = (float) (random.nextGaussian() * std);
        }
        return v;
    }
}

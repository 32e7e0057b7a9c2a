package org.expertlm.registry.internal;

import static org.junit.Assert.assertArrayEquals;
import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertNull;
import static org.junit.Assert.assertTrue;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.LocalDateTime;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Set;
import java.util.jar.Attributes;
import java.util.jar.JarEntry;
import java.util.jar.JarFile;
import java.util.jar.Manifest;

import org.expertlm.api.AdapterConfig;
import org.expertlm.api.AnswerFormat;
import org.expertlm.api.BaseModelRef;
import org.expertlm.api.ExpertDescriptor;
import org.expertlm.api.ExpertKind;
import org.expertlm.api.Split;
import org.expertlm.api.TaskExample;
import org.junit.Rule;
import org.junit.Test;
import org.junit.rules.TemporaryFolder;

/** The bundle's manifest declares the expert and nothing that is code; its jar's bytes depend on its entries alone. */
public class ExpertBundleLayoutTest {

    private static final ExpertDescriptor EXPERT = new ExpertDescriptor("pe-pang-lee-sentences-positive-or-negative", "1.2.0",
            "pang-lee-sentences/positive-or-negative", List.of("pang-lee-sentences/positive-or-negative"), ExpertKind.PROMPT,
            new BaseModelRef("elm-base@sha256:04e7d7a9bad53efb", "04e7d7a9bad53efbfc2bc3a3ee948284df49064a23ee6733d59a467d544162d5"),
            new AdapterConfig(Set.of("ffn"), 32, Set.of(), 8, 16, 2, 7), new AnswerFormat(false, List.of("positive", "negative")),
            "ab", "{}");

    @Rule
    public TemporaryFolder folder = new TemporaryFolder();

    @Test
    public void theManifestDeclaresTheExpertAndRequiresTheExtenderWithoutCode() throws IOException {
        Attributes main = new Manifest(new ByteArrayInputStream(ExpertBundleLayout.manifest(EXPERT, "sentiment"))).getMainAttributes();
        assertEquals(EXPERT.id(), main.getValue("Bundle-SymbolicName"));
        assertEquals("1.2.0", main.getValue("Bundle-Version"));
        assertEquals("2", main.getValue("Bundle-ManifestVersion"));
        String capability = main.getValue("Provide-Capability");
        for (String attribute : List.of("elm.expert;elm.expert=\"" + EXPERT.id() + "\"", "version:Version=\"1.2.0\"",
                "task=\"pang-lee-sentences/positive-or-negative\"", "cluster=\"sentiment\"", "kind=\"prompt\"",
                "base=\"elm-base@sha256:04e7d7a9bad53efb\"", "format=\"elm-expert/1\"")) {
            assertTrue(capability + " has " + attribute, capability.contains(attribute));
        }
        assertEquals("osgi.extender;filter:=\"(&(osgi.extender=elm.expert)(version>=1.0)(!(version>=2.0)))\"",
                main.getValue("Require-Capability"));
        for (String code : List.of("Bundle-Activator", "Import-Package", "Export-Package", "DynamicImport-Package", "Bundle-ClassPath")) {
            assertNull(code, main.getValue(code));
        }
    }

    @Test
    public void theSameEntriesGiveTheSameBytesEveryEntryStampedWithTheFixedTimeAndTheManifestFirst() throws Exception {
        Path first = folder.getRoot().toPath().resolve("a.jar");
        Path second = folder.getRoot().toPath().resolve("b.jar");
        jar().write(first);
        jar().write(second);
        assertArrayEquals(Files.readAllBytes(first), Files.readAllBytes(second));
        try (JarFile jar = new JarFile(first.toFile())) {
            List<String> names = new ArrayList<>();
            for (JarEntry e : Collections.list(jar.entries())) {
                names.add(e.getName());
                // Not the clock's time: a jar stamped when it was written would differ from one written later.
                assertEquals(e.getName(), LocalDateTime.of(1980, 1, 1, 0, 0), e.getTimeLocal());
            }
            assertEquals(List.of(ExpertBundleLayout.MANIFEST, "expert.json", "library.jsonl"), names);
            assertEquals(EXPERT.id(), jar.getManifest().getMainAttributes().getValue("Bundle-SymbolicName"));
        }
        try (var files = Files.list(folder.getRoot().toPath())) {
            assertFalse("no partial file is left", files.anyMatch(p -> p.getFileName().toString().endsWith(".partial")));
        }
    }

    @Test
    public void aLibraryVectorEmbedsTheChoicesAndTheInputInThePapersFormatNeverTheTarget() {
        TaskExample classified = new TaskExample("spam/spam-yes-no", "7", Split.TRAIN, "Is this spam? Win money", "yes",
                List.of("yes", "no"));
        assertEquals("Answer Choices: yes, no, Instance: Is this spam? Win money", ExpertBundleLayout.vectorText(classified));
        TaskExample generated = new TaskExample("europarl-title/write-title", "8", Split.TRAIN, "Write a title: debate", "Debate",
                List.of());
        assertEquals("Instance: Write a title: debate", ExpertBundleLayout.vectorText(generated));
    }

    @Test
    public void anAttributeThatWouldBreakTheHeaderIsRefused() {
        ExpertDescriptor quoted = new ExpertDescriptor(EXPERT.id(), EXPERT.version(), "a\"b", EXPERT.templates(), EXPERT.kind(),
                EXPERT.base(), EXPERT.adapter(), EXPERT.answers(), EXPERT.tensorsSha256(), EXPERT.provenance());
        IllegalArgumentException e = org.junit.Assert.assertThrows(IllegalArgumentException.class,
                () -> ExpertBundleLayout.manifest(quoted, "sentiment"));
        assertTrue(e.getMessage(), e.getMessage().contains("a\"b"));
    }

    private static DeterministicJar jar() {
        return new DeterministicJar().add(ExpertBundleLayout.MANIFEST, ExpertBundleLayout.manifest(EXPERT, "sentiment"))
                .add("expert.json", "{\"id\":\"x\"}".getBytes()).add("library.jsonl", "{}\n".getBytes());
    }
}

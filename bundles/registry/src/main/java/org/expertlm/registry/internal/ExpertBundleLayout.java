package org.expertlm.registry.internal;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.jar.Attributes;
import java.util.jar.Manifest;

import org.expertlm.api.ExpertDescriptor;
import org.expertlm.api.ExpertLibrary;
import org.expertlm.api.TaskExample;

/**
 * What an expert bundle holds, entry by entry (see expert-bundles/README.md): the manifest, the
 * description, the adapter tensors, the library's instances and their vectors. The packager writes
 * this layout; the extender checks it (ExpertCheck).
 */
final class ExpertBundleLayout {

    /** The capability namespace an expert bundle provides, and the extender it requires. */
    static final String NAMESPACE = "elm.expert";
    /** The version of this layout: the extender accepts [1.0, 2.0). */
    static final String LAYOUT_VERSION = "1.0.0";
    static final String MANIFEST = "META-INF/MANIFEST.MF";
    /** One library instance a line: template, input, target, choices. */
    static final String LIBRARY = "library.jsonl";
    /** The library's sentence vectors [instances, dimension], their encoder and text format in the metadata. */
    static final String LIBRARY_VECTORS = "library.safetensors";
    /**
     * The text format each library vector embeds, the paper's default: the answer choices, then the prompted
     * input, never the target, so that a task's unlabeled instances are embedded the same way ({@link #vectorText}).
     */
    static final String VECTOR_TEXT = "label_instance";

    private ExpertBundleLayout() {
    }

    /**
     * An instance's text in the {@value #VECTOR_TEXT} format: {@code Answer Choices: a, b, Instance: <input>}, or
     * {@code Instance: <input>} for a generation instance, which has no choices.
     */
    static String vectorText(TaskExample instance) {
        return ExpertLibrary.labelInstanceText(instance.input(), instance.choices());
    }

    /** The jar's name: {@code <id>-<version>.jar}. */
    static String jarName(ExpertDescriptor expert) {
        return expert.id() + "-" + expert.version() + ".jar";
    }

    /**
     * The manifest: the expert as a bundle (symbolic name = its id, version = its version), the capability
     * it provides, the extender it requires; no activator, no imports, no exports: data only.
     */
    static byte[] manifest(ExpertDescriptor expert, String cluster) {
        Manifest manifest = new Manifest();
        Attributes main = manifest.getMainAttributes();
        main.put(Attributes.Name.MANIFEST_VERSION, "1.0");
        main.putValue("Bundle-ManifestVersion", "2");
        main.putValue("Bundle-SymbolicName", expert.id());
        main.putValue("Bundle-Version", expert.version());
        main.putValue("Bundle-Name", "ELM expert " + expert.name());
        main.putValue("Provide-Capability", NAMESPACE + ";" + NAMESPACE + "=" + quoted(expert.id())
                + ";version:Version=\"" + expert.version() + "\""
                + ";task=" + quoted(expert.task())
                + ";cluster=" + quoted(cluster)
                + ";kind=" + quoted(expert.kind().id())
                + ";base=" + quoted(expert.base().id())
                + ";format=" + quoted("elm-expert/1"));
        main.putValue("Require-Capability", "osgi.extender;filter:=\"(&(osgi.extender=" + NAMESPACE + ")(version>=1.0)(!(version>=2.0)))\"");
        main.putValue("ELM-Layout-Version", LAYOUT_VERSION);
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try {
            manifest.write(out);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return out.toByteArray();
    }

    private static String quoted(String value) {
        if (value.indexOf('"') >= 0 || value.indexOf('\\') >= 0) {
            throw new IllegalArgumentException("a capability attribute '" + value + "' with a quote or backslash");
        }
        return "\"" + value + "\"";
    }
}

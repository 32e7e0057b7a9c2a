package org.expertlm.eval.internal;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.List;
import java.util.jar.JarFile;
import java.util.zip.ZipEntry;

import org.expertlm.api.AdapterTensors;
import org.expertlm.api.Expert;
import org.expertlm.api.ExpertDescriptor;
import org.expertlm.api.ExpertFormat;
import org.expertlm.api.ExpertLibrary;

/**
 * A model read straight from its bundle jar, never deployed: experiment 3's sequentially fine-tuned baseline, which
 * must be scored but must not join the library that retrieval searches.
 */
record JarModel(ExpertDescriptor descriptor, AdapterTensors tensors) implements Expert {

    static JarModel read(Path jar, ExpertFormat format) {
        try (JarFile file = new JarFile(jar.toFile())) {
            ExpertDescriptor descriptor;
            try (InputStream in = file.getInputStream(entry(file, jar, ExpertFormat.DESCRIPTION))) {
                descriptor = format.read(in, jar + "!/" + ExpertFormat.DESCRIPTION);
            }
            AdapterTensors tensors;
            try (InputStream in = file.getInputStream(entry(file, jar, ExpertFormat.TENSORS))) {
                tensors = AdapterTensors.read(in, jar + "!/" + ExpertFormat.TENSORS);
            }
            if (!tensors.sha256().equals(descriptor.tensorsSha256())) {
                throw new IllegalStateException(jar + " holds tensors " + tensors.sha256() + " but its description names "
                        + descriptor.tensorsSha256() + "; delete it and run the evaluation again to make it anew");
            }
            return new JarModel(descriptor, tensors);
        } catch (IOException e) {
            throw new UncheckedIOException("reading the model jar " + jar + " failed", e);
        }
    }

    private static ZipEntry entry(JarFile file, Path jar, String name) throws IOException {
        ZipEntry entry = file.getEntry(name);
        if (entry == null) {
            throw new IOException(jar + " has no " + name + "; it is not an expert bundle");
        }
        return entry;
    }

    @Override
    public ExpertLibrary library() {
        return new ExpertLibrary(List.of(), List.of(), "", "");
    }
}

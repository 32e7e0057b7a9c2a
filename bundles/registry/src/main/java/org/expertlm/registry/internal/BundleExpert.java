package org.expertlm.registry.internal;

import java.io.IOException;
import java.io.InputStream;
import java.lang.ref.SoftReference;

import org.expertlm.api.AdapterTensors;
import org.expertlm.api.Expert;
import org.expertlm.api.ExpertDescriptor;
import org.expertlm.api.ExpertFormat;
import org.expertlm.api.ExpertLibrary;
import org.expertlm.api.ModelFormatException;
import org.osgi.framework.Bundle;

/**
 * The expert of an installed bundle: its description and library held, its tensors read from the bundle
 * when asked for and kept while memory allows (softly: the engine's model cache is what holds experts
 * being used, under its budget).
 */
final class BundleExpert implements Expert {

    private final Bundle bundle;
    private final ExpertDescriptor descriptor;
    private final ExpertLibrary library;
    private volatile SoftReference<AdapterTensors> tensors;

    BundleExpert(Bundle bundle, ExpertDescriptor descriptor, AdapterTensors tensors, ExpertLibrary library) {
        this.bundle = bundle;
        this.descriptor = descriptor;
        this.library = library;
        this.tensors = new SoftReference<>(tensors);
    }

    @Override
    public ExpertDescriptor descriptor() {
        return descriptor;
    }

    @Override
    public AdapterTensors tensors() throws IOException {
        AdapterTensors held = tensors.get();
        if (held != null) {
            return held;
        }
        if (bundle.getState() == Bundle.UNINSTALLED) {
            throw new IllegalStateException("expert " + descriptor.name() + " was uninstalled; ask the registry for the active "
                    + "version of " + descriptor.id() + " again");
        }
        held = read(bundle, descriptor);
        tensors = new SoftReference<>(held);
        return held;
    }

    @Override
    public ExpertLibrary library() {
        return library;
    }

    @Override
    public String toString() {
        return "expert " + descriptor.name() + " from " + bundle.getLocation();
    }

    /** The bundle's tensors, checked against the description's digest. */
    static AdapterTensors read(Bundle bundle, ExpertDescriptor expert) throws IOException {
        String source = bundle.getLocation() + "!/" + ExpertFormat.TENSORS;
        AdapterTensors tensors;
        try (InputStream in = ExpertCheck.entry(bundle, ExpertFormat.TENSORS)) {
            tensors = AdapterTensors.read(in, source);
        }
        if (!tensors.sha256().equals(expert.tensorsSha256())) {
            throw new ModelFormatException(source + " has sha256 " + tensors.sha256() + " but " + ExpertFormat.DESCRIPTION
                    + " names " + expert.tensorsSha256() + "; the tensors were changed or corrupted: package the expert again");
        }
        return tensors;
    }
}

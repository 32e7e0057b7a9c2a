package org.expertlm.registry.internal;

import java.io.IOException;
import java.io.InputStream;

import org.expertlm.api.AdapterTensors;
import org.expertlm.api.Expert;
import org.expertlm.api.ExpertDescriptor;
import org.expertlm.api.ExpertFormat;
import org.expertlm.api.ModelFormatException;
import org.osgi.framework.Bundle;

/** The expert of an installed bundle: its description held, its tensors read from the bundle when asked for. */
final class BundleExpert implements Expert {

    private final Bundle bundle;
    private final ExpertDescriptor descriptor;

    BundleExpert(Bundle bundle, ExpertDescriptor descriptor) {
        this.bundle = bundle;
        this.descriptor = descriptor;
    }

    @Override
    public ExpertDescriptor descriptor() {
        return descriptor;
    }

    @Override
    public AdapterTensors tensors() throws IOException {
        return read(bundle, descriptor);
    }

    /** The bundle's tensors, checked against the description's digest. */
    static AdapterTensors read(Bundle bundle, ExpertDescriptor expert) throws IOException {
        String source = bundle.getLocation() + "!/" + ExpertFormat.TENSORS;
        AdapterTensors tensors;
        try (InputStream in = ExpertExtender.entry(bundle, ExpertFormat.TENSORS)) {
            tensors = AdapterTensors.read(in, source);
        }
        if (!tensors.sha256().equals(expert.tensorsSha256())) {
            throw new ModelFormatException(source + " has sha256 " + tensors.sha256() + " but " + ExpertFormat.DESCRIPTION
                    + " names " + expert.tensorsSha256() + "; the tensors were changed or corrupted: package the expert again");
        }
        return tensors;
    }
}

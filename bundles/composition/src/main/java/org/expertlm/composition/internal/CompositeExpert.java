package org.expertlm.composition.internal;

import org.expertlm.api.AdapterTensors;
import org.expertlm.api.Expert;
import org.expertlm.api.ExpertDescriptor;
import org.expertlm.api.ExpertLibrary;

/**
 * A composite expert: its merged tensors held in memory (they are nowhere else, unless it is packaged), and its
 * members' library instances, for its bundle (retrieval leaves composites out: it finds their members).
 */
record CompositeExpert(ExpertDescriptor descriptor, AdapterTensors merged, ExpertLibrary library) implements Expert {

    @Override
    public AdapterTensors tensors() {
        return merged;
    }

    @Override
    public String toString() {
        return "composite " + descriptor.name();
    }
}

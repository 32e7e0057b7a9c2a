package org.expertlm.composition.internal;

import org.expertlm.api.AdapterTensors;
import org.expertlm.api.Expert;
import org.expertlm.api.ExpertDescriptor;
import org.expertlm.api.ExpertLibrary;

/**
 * A composite expert: its merged tensors held in memory (they are nowhere else), and an empty library, so that
 * retrieval never picks a composite for a task: it picks the members.
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

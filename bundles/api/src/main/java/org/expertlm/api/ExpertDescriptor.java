package org.expertlm.api;

import java.util.List;
import java.util.Objects;

/**
 * What an expert is, without its tensors: the value an expert's {@code expert.json} holds, with
 * equals, hashCode and toString by value.
 *
 * @param id the expert's id (lower-case letters, digits, {@code .}, {@code -}), e.g. {@code pang-lee-sentences.yes-no}
 * @param version its version, {@code major.minor.micro}
 * @param task what it learned: a template ({@code dataset/template}), a dataset, or {@code multitask}
 * @param templates the templates its examples came from
 * @param kind prompt, dataset or multitask
 * @param base the base model it adapts, by content
 * @param adapter where its adapters sit; null for a full-decoder fine-tune (the MT baseline's), whose
 *     tensors replace the base decoder's
 * @param answers how it answers
 * @param tensorsSha256 the SHA-256 of its tensors in safetensors form ({@link AdapterTensors#sha256()})
 * @param provenance how it was made (data digest, settings, seed, steps, validation metrics), one JSON object
 */
public record ExpertDescriptor(String id, String version, String task, List<String> templates, ExpertKind kind,
        BaseModelRef base, AdapterConfig adapter, AnswerFormat answers, String tensorsSha256, String provenance) {

    public ExpertDescriptor {
        Objects.requireNonNull(id, "id");
        Objects.requireNonNull(version, "version");
        Objects.requireNonNull(task, "task");
        templates = List.copyOf(templates);
        Objects.requireNonNull(kind, "kind");
        Objects.requireNonNull(base, "base");
        Objects.requireNonNull(answers, "answers");
        Objects.requireNonNull(tensorsSha256, "tensorsSha256");
        Objects.requireNonNull(provenance, "provenance");
        if (!id.matches("[a-z0-9][a-z0-9.-]*")) {
            throw new IllegalArgumentException("expert id '" + id + "': expected lower-case letters, digits, '.' and '-'");
        }
        if (!version.matches("\\d+\\.\\d+\\.\\d+")) {
            throw new IllegalArgumentException("expert version '" + version + "': expected major.minor.micro, e.g. 1.0.0");
        }
    }

    /** {@code id@version}, the name every answer gives for the expert that produced it. */
    public String name() {
        return id + "@" + version;
    }

    /** True for a full-decoder fine-tune, which has no adapter configuration. */
    public boolean isFullDecoder() {
        return adapter == null;
    }
}

package org.expertlm.api;

import java.util.Objects;

/**
 * A base model named by content: its id ({@code name@sha256:<16 hex digits>}) and the full SHA-256
 * of its decoder's tensor file. Experts name the base they adapt this way; opening one over another
 * base is refused.
 *
 * @param id the base model's id
 * @param sha256 the digest of its tensors, 64 hex digits
 */
public record BaseModelRef(String id, String sha256) {

    public BaseModelRef {
        Objects.requireNonNull(id, "id");
        Objects.requireNonNull(sha256, "sha256");
        if (!sha256.matches("[0-9a-f]{64}")) {
            throw new IllegalArgumentException("base model " + id + " has sha256 '" + sha256 + "'; expected 64 lower-case hex digits");
        }
    }

    /** The name part of the id, before {@code @}. */
    public String name() {
        int at = id.indexOf('@');
        return at < 0 ? id : id.substring(0, at);
    }

    @Override
    public String toString() {
        return id;
    }
}

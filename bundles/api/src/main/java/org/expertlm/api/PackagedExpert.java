package org.expertlm.api;

import java.util.Objects;

/**
 * An expert bundle the packager wrote.
 *
 * @param expert the expert's description
 * @param jar where the jar is
 * @param sha256 the jar's SHA-256, hex
 * @param bytes the jar's size
 * @param libraryInstances the library instances it carries
 * @param encoder the id of the sentence encoder that made their vectors
 */
public record PackagedExpert(ExpertDescriptor expert, String jar, String sha256, long bytes, int libraryInstances, String encoder) {

    public PackagedExpert {
        Objects.requireNonNull(expert, "expert");
        Objects.requireNonNull(jar, "jar");
        Objects.requireNonNull(sha256, "sha256");
        Objects.requireNonNull(encoder, "encoder");
    }
}

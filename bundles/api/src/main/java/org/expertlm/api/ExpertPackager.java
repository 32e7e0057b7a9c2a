package org.expertlm.api;

import java.io.IOException;
import java.nio.file.Path;

import org.osgi.annotation.versioning.ProviderType;

/**
 * Turns a trained expert into its bundle jar (see expert-bundles/README.md): a manifest that declares the
 * expert as a capability and requires the expert extender, its description, its adapter tensors and its
 * library (training instances with their sentence vectors). Data only, never code.
 */
@ProviderType
public interface ExpertPackager {

    /** Library instances an expert bundle carries (the paper's S). */
    int LIBRARY_SIZE = 100;

    /**
     * Writes the bundle of {@code expert} (an id or id@version of the model store) into {@code folder} as
     * {@code <id>-<version>.jar}, atomically (no partial jar is ever seen under that name); the same expert
     * and training data give a byte-identical jar.
     *
     * @throws IllegalArgumentException when the store has no such expert (the message lists those there are)
     * @throws IllegalStateException when its training data has not been fetched (the message says how)
     * @throws ModelFormatException when its stored tensors are not the ones its description names
     */
    PackagedExpert pack(String expert, Path folder) throws IOException;

    /**
     * Writes the bundle of an expert as it is, description, tensors and library (a composite of the {@link Composer},
     * say, whose provenance is its recipe), into {@code folder} as {@code <id>-<version>.jar}, atomically; then it
     * deploys like any expert. The same expert gives a byte-identical jar.
     *
     * @throws IllegalArgumentException when its library is empty (a bundle carries the instances it was made from)
     */
    PackagedExpert pack(Expert expert, Path folder) throws IOException;
}

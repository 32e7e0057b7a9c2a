package org.expertlm.runtime;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;

/**
 * The container's log file as a test reads it: {@link #mark()} remembers where it ends now, and
 * {@link #awaitAfterMark} waits for a line written since then. The file outlives one test (and one
 * build), so only what was written after the mark counts.
 */
final class TestLog {

    private final Path file;
    private long mark;

    private TestLog(Path file) {
        this.file = file;
    }

    /** The log the tests' logback configuration writes ({@code elm.it.log}), marked at its current end. */
    static TestLog marked() throws IOException {
        String name = System.getProperty("elm.it.log");
        if (name == null || name.isEmpty()) {
            throw new IllegalStateException("system property elm.it.log is not set; run the tests with mvn verify");
        }
        TestLog log = new TestLog(Paths.get(name));
        log.mark();
        return log;
    }

    void mark() throws IOException {
        mark = Files.exists(file) ? Files.size(file) : 0;
    }

    /** The text logged since the mark that contains every one of {@code parts} on one line, or null after {@code millis}. */
    String awaitAfterMark(long millis, String... parts) throws InterruptedException {
        return DeployFolderIT.await(() -> {
            for (String line : sinceMark().split("\n")) {
                boolean all = true;
                for (String part : parts) {
                    all &= line.contains(part);
                }
                if (all) {
                    return line;
                }
            }
            return null;
        }, millis);
    }

    private String sinceMark() {
        try {
            byte[] all = Files.readAllBytes(file);
            return all.length <= mark ? "" : new String(all, (int) mark, all.length - (int) mark, StandardCharsets.UTF_8);
        } catch (IOException e) {
            return "";
        }
    }

    Path file() {
        return file;
    }
}

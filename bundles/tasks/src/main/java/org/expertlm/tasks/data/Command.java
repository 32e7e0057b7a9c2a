package org.expertlm.tasks.data;

import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/** Runs an external program (a registry client, tar, dpkg-deb, diatheke) and says clearly when it fails. */
final class Command {

    private static final long LIMIT_MINUTES = 10;

    private Command() {
    }

    /** The program's output (standard output and error together); a non-zero exit is an exception. */
    static String run(List<String> command, Path directory, Map<String, String> env) throws FetchException {
        String program = command.get(0);
        if (!onPath(program)) {
            throw new FetchException("'" + program + "' is not installed, and the fetch needs it to run: "
                    + String.join(" ", command) + ". " + installHint(program));
        }
        Path output = null;
        try {
            output = Files.createTempFile("elm-fetch-", ".out");
            ProcessBuilder builder = new ProcessBuilder(command).directory(directory.toFile())
                    .redirectErrorStream(true).redirectOutput(output.toFile())
                    .redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")));
            builder.environment().putAll(env);
            Process process = builder.start();
            if (!process.waitFor(LIMIT_MINUTES, TimeUnit.MINUTES)) {
                process.destroyForcibly();
                throw new FetchException("'" + String.join(" ", command) + "' did not finish within " + LIMIT_MINUTES
                        + " minutes; check the network and run the fetch again (it resumes)");
            }
            String text = Files.readString(output, StandardCharsets.UTF_8);
            if (process.exitValue() != 0) {
                throw new FetchException("'" + String.join(" ", command) + "' failed with exit status "
                        + process.exitValue() + ":\n" + tail(text, 15));
            }
            return text;
        } catch (IOException e) {
            throw new FetchException("cannot run '" + String.join(" ", command) + "': " + e.getMessage(), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new FetchException("interrupted while running '" + String.join(" ", command) + "'", e);
        } finally {
            if (output != null) {
                output.toFile().delete();
            }
        }
    }

    static boolean onPath(String program) {
        if (program.contains("/")) {
            return Files.isExecutable(Path.of(program));
        }
        String path = System.getenv().getOrDefault("PATH", "/usr/local/bin:/usr/bin:/bin");
        for (String dir : path.split(File.pathSeparator)) {
            if (!dir.isEmpty() && Files.isExecutable(Path.of(dir, program))) {
                return true;
            }
        }
        return false;
    }

    private static String installHint(String program) {
        return switch (program) {
            case "npm" -> "Install Node.js and npm (Debian: apt-get install npm).";
            case "mvn" -> "Install Maven (Debian: apt-get install maven).";
            case "apt-get", "dpkg-deb" -> "The Debian sources need a Debian or Ubuntu machine with apt and dpkg.";
            case "diatheke" -> "Install it with: apt-get install diatheke";
            case "tar" -> "Install tar (Debian: apt-get install tar).";
            default -> "Install it, then run the fetch again.";
        };
    }

    static String tail(String text, int lines) {
        String[] all = text.strip().split("\n");
        StringBuilder out = new StringBuilder();
        for (int i = Math.max(0, all.length - lines); i < all.length; i++) {
            out.append("    ").append(all[i]).append('\n');
        }
        return out.toString().stripTrailing();
    }
}

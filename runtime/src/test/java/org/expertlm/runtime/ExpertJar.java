package org.expertlm.runtime;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.jar.Attributes;
import java.util.jar.JarEntry;
import java.util.jar.JarFile;
import java.util.jar.JarOutputStream;
import java.util.jar.Manifest;

import com.fasterxml.jackson.databind.node.ObjectNode;

import org.expertlm.api.AdapterTensors;

/** An expert bundle jar opened for a test to change (its manifest, description, tensors, entries) and write again. */
final class ExpertJar {

    final Manifest manifest;
    final Map<String, byte[]> entries = new LinkedHashMap<>();

    private ExpertJar(Manifest manifest) {
        this.manifest = manifest;
    }

    static ExpertJar read(Path jar) throws IOException {
        try (JarFile file = new JarFile(jar.toFile())) {
            ExpertJar copy = new ExpertJar(new Manifest(file.getManifest()));
            for (JarEntry e : Collections.list(file.entries())) {
                if (!e.getName().equals(JarFile.MANIFEST_NAME)) {
                    copy.entries.put(e.getName(), file.getInputStream(e).readAllBytes());
                }
            }
            return copy;
        }
    }

    Attributes main() {
        return manifest.getMainAttributes();
    }

    /** The same expert under another id: symbolic name, capability and description. */
    ExpertJar renamed(String from, String to) throws IOException {
        main().putValue("Bundle-SymbolicName", to);
        main().putValue("Provide-Capability", main().getValue("Provide-Capability").replace("\"" + from + "\"", "\"" + to + "\""));
        return description(description().put("id", to));
    }

    ObjectNode description() throws IOException {
        return (ObjectNode) ElmScript.JSON.readTree(entries.get("expert.json"));
    }

    ExpertJar description(ObjectNode json) throws IOException {
        entries.put("expert.json", ElmScript.JSON.writeValueAsBytes(json));
        return this;
    }

    AdapterTensors tensors(String entry) throws IOException {
        return AdapterTensors.read(new ByteArrayInputStream(entries.get(entry)), entry);
    }

    ExpertJar tensors(String entry, AdapterTensors tensors) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        tensors.write(out);
        entries.put(entry, out.toByteArray());
        return this;
    }

    /** Writes the jar beside {@code scratch}, then moves it into {@code folder}: the deploy folder sees only whole jars. */
    Path writeInto(Path folder, String name, Path scratch) throws IOException {
        Path partial = scratch.resolve(name + ".partial");
        try (JarOutputStream out = new JarOutputStream(Files.newOutputStream(partial), manifest)) {
            for (Map.Entry<String, byte[]> e : entries.entrySet()) {
                out.putNextEntry(new JarEntry(e.getKey()));
                out.write(e.getValue());
            }
        }
        return Files.move(partial, folder.resolve(name));
    }
}

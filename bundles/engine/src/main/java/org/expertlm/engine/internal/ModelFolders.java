package org.expertlm.engine.internal;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.LinkedHashMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.stream.Stream;

import org.expertlm.api.AdapterTensors;
import org.expertlm.api.BaseModelRef;
import org.expertlm.api.ExpertDescriptor;
import org.expertlm.api.ModelFormatException;
import org.expertlm.engine.lm.BaseModel;
import org.expertlm.engine.lm.ExpertFiles;
import org.expertlm.engine.tensor.ModelFiles;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import com.fasterxml.jackson.databind.JsonNode;

/**
 * The model store on disk: base models in {@code base/<name>/} of the user's models folder and of the
 * distribution's (the user's first), experts trained here in {@code experts/<id>/} of the user's.
 * Base models are read once per tensor file and modification time (reading checks a 16 MB digest).
 */
final class ModelFolders {

    private static final Logger LOG = LoggerFactory.getLogger(ModelFolders.class);

    private final Path user;
    private final Path shipped;
    private final Map<Path, Read> bases = new ConcurrentHashMap<>();
    private final Map<Path, Described> descriptions = new ConcurrentHashMap<>();

    private record Read(long modified, BaseModel model) {
    }

    /** A base model's folder and what its description names. */
    private record Listed(Path folder, BaseModelRef ref) {
    }

    /** What a description gave at a modification time: its listing, or why it was refused. */
    private record Described(long modified, Listed listed, String refusal) {
    }

    ModelFolders(Path user, Path shipped) {
        this.user = user;
        this.shipped = shipped;
    }

    Path userFolder() {
        return user;
    }

    /** Where a base model trained here is written. */
    Path baseOutput(String name) {
        return user.resolve("base").resolve(name);
    }

    /** Where an expert trained here is written. */
    Path expertFolder(String id) {
        return user.resolve("experts").resolve(id);
    }

    List<BaseModelRef> baseModels() {
        return listBases(new ArrayList<>()).stream().map(Listed::ref).toList();
    }

    /** By id, or by name: the user's folder first, so that a model trained here wins over a shipped one of its name. */
    BaseModelRef baseModel(String idOrName) {
        List<String> refused = new ArrayList<>();
        List<Listed> all = listBases(refused);
        for (Listed l : all) {
            if (l.ref().id().equals(idOrName)) {
                return l.ref();
            }
        }
        for (Listed l : all) {
            if (l.ref().name().equals(idOrName)) {
                return l.ref();
            }
        }
        throw new IllegalArgumentException("no base model '" + idOrName + "'; installed: "
                + (all.isEmpty() ? "none (rebuild the distribution with mvn install, or train one with elm:train base)"
                        : String.join(", ", all.stream().map(l -> l.ref().id()).toList()))
                + (refused.isEmpty() ? "" : "; refused: " + String.join("; ", refused)));
    }

    /**
     * The base model {@code ref} names, read and checked.
     *
     * @throws IllegalArgumentException when none with its id is installed, or the installed one has other weights
     */
    BaseModel base(BaseModelRef ref) {
        for (Listed l : listBases(new ArrayList<>())) {
            if (!l.ref().id().equals(ref.id())) {
                continue;
            }
            if (!l.ref().sha256().equals(ref.sha256())) {
                throw new IllegalArgumentException("base model " + ref.id() + " is installed in " + l.folder()
                        + " with tensors of SHA-256 " + l.ref().sha256() + ", not " + ref.sha256()
                        + " as asked; install the base model the expert was trained on");
            }
            return read(l.folder());
        }
        throw new IllegalArgumentException("no base model " + ref.id() + " is installed; installed: "
                + String.join(", ", baseModels().stream().map(BaseModelRef::id).toList())
                + "; install the base model the expert was trained on");
    }

    private BaseModel read(Path folder) {
        try {
            Path tensors = folder.resolve(BaseModel.TENSORS);
            long modified = Files.getLastModifiedTime(tensors).toMillis();
            Read cached = bases.get(folder);
            if (cached != null && cached.modified() == modified) {
                return cached.model();
            }
            BaseModel model = BaseModel.read(folder);
            bases.put(folder, new Read(modified, model));
            return model;
        } catch (ModelFormatException e) {
            throw new IllegalStateException(e.getMessage(), e);
        } catch (IOException e) {
            throw new UncheckedIOException("the base model in " + folder + " cannot be read: " + e.getMessage(), e);
        }
    }

    List<ExpertDescriptor> experts() {
        List<ExpertDescriptor> out = new ArrayList<>();
        for (Path folder : children(user.resolve("experts"))) {
            if (!ExpertFiles.isExpert(folder)) {
                continue;
            }
            try (InputStream in = Files.newInputStream(folder.resolve(ExpertFiles.DESCRIPTION))) {
                out.add(ExpertFiles.readDescriptor(in, folder.resolve(ExpertFiles.DESCRIPTION).toString()));
            } catch (IOException | RuntimeException e) {
                LOG.warn("Skipping the expert in {}: {}", folder, e.getMessage());
            }
        }
        return out;
    }

    ExpertDescriptor expert(String id) {
        List<ExpertDescriptor> all = experts();
        for (ExpertDescriptor d : all) {
            if (d.id().equals(id) || d.name().equals(id)) {
                return d;
            }
        }
        // Its folder may be there with a description that cannot be read: say why rather than "no expert".
        Path folder = expertFolder(id.contains("@") ? id.substring(0, id.indexOf('@')) : id);
        if (ExpertFiles.isExpert(folder)) {
            try (InputStream in = Files.newInputStream(folder.resolve(ExpertFiles.DESCRIPTION))) {
                ExpertDescriptor d = ExpertFiles.readDescriptor(in, folder.resolve(ExpertFiles.DESCRIPTION).toString());
                throw new IllegalArgumentException("no expert '" + id + "'; " + folder + " holds " + d.name());
            } catch (IOException e) {
                throw new IllegalArgumentException("the expert '" + id + "' cannot be read: " + e.getMessage(), e);
            }
        }
        throw new IllegalArgumentException("no expert '" + id + "' in " + user.resolve("experts") + "; trained here: "
                + (all.isEmpty() ? "none (train one with elm:train expert <template>)"
                        : String.join(", ", all.stream().map(ExpertDescriptor::name).toList())));
    }

    AdapterTensors tensors(ExpertDescriptor d) throws ModelFormatException {
        Path file = expertFolder(d.id()).resolve(ExpertFiles.TENSORS);
        try (InputStream in = Files.newInputStream(file)) {
            AdapterTensors tensors = AdapterTensors.read(in, file.toString());
            ExpertFiles.checkTensors(d, tensors, file.toString());
            return tensors;
        } catch (ModelFormatException e) {
            throw e;
        } catch (IOException e) {
            throw new ModelFormatException("the tensors of expert " + d.name() + " cannot be read from " + file + ": "
                    + e.getMessage(), e);
        }
    }

    /**
     * Base models by id, the user's folder first (so that a model trained here wins over a shipped one of
     * the same id); the folders whose description is refused go to {@code refused} with the reason.
     */
    private List<Listed> listBases(List<String> refused) {
        Map<String, Listed> byId = new LinkedHashMap<>();
        for (Path root : List.of(user, shipped)) {
            for (Path folder : children(root.resolve("base"))) {
                Path description = folder.resolve(BaseModel.DESCRIPTION);
                if (!Files.isRegularFile(description)) {
                    continue;
                }
                Described d = describe(folder, description);
                if (d.listed() != null) {
                    byId.putIfAbsent(d.listed().ref().id(), d.listed());
                } else {
                    refused.add(folder + ": " + d.refusal());
                }
            }
        }
        return new ArrayList<>(byId.values());
    }

    /**
     * A base.json as listed: read once per modification time (every open looks the base model up, and
     * its description holds the whole vocabulary), refused ones with their reason.
     */
    private Described describe(Path folder, Path description) {
        long modified;
        try {
            modified = Files.getLastModifiedTime(description).toMillis();
        } catch (IOException e) {
            return new Described(-1, null, "cannot read " + description + ": " + e.getMessage());
        }
        Described cached = descriptions.get(description);
        if (cached != null && cached.modified() == modified) {
            return cached;
        }
        Described d;
        try {
            JsonNode json = ModelFiles.JSON.readTree(description.toFile());
            ModelFormatException.check(description.toString(), json.path("format").asText(null), BaseModel.FORMAT);
            d = new Described(modified, new Listed(folder, new BaseModelRef(json.path("id").asText(),
                    json.path("sha256").asText())), null);
        } catch (IOException | IllegalArgumentException e) {
            LOG.warn("Skipping the base model in {}: {}", folder, e.getMessage());
            d = new Described(modified, null, e.getMessage());
        }
        descriptions.put(description, d);
        return d;
    }

    private static List<Path> children(Path folder) {
        if (!Files.isDirectory(folder)) {
            return List.of();
        }
        try (Stream<Path> s = Files.list(folder)) {
            return s.filter(Files::isDirectory).sorted().toList();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot list " + folder + ": " + e.getMessage(), e);
        }
    }
}

package org.expertlm.composition.internal;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.Dictionary;
import java.util.Hashtable;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Predicate;

import org.expertlm.api.Composer;
import org.expertlm.api.Expert;
import org.expertlm.api.ExpertBundle;
import org.expertlm.api.ExpertDescriptor;
import org.expertlm.api.ExpertFormat;
import org.expertlm.api.ExpertKind;
import org.expertlm.api.ExpertRegistry;
import org.expertlm.api.MergeMethod;
import org.osgi.framework.BundleContext;
import org.osgi.framework.ServiceReference;
import org.osgi.framework.ServiceRegistration;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Deactivate;
import org.osgi.service.component.annotations.Reference;
import org.osgi.service.component.annotations.ReferenceCardinality;
import org.osgi.service.component.annotations.ReferencePolicy;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The composer: merges installed experts with the merge methods registered as services, registers each composite as
 * an {@link Expert} service, keeps it by recipe, and drops it when a member goes (removed) or stops answering for its
 * id (upgraded, rolled back, pinned away), remembering why so that asking for it says so.
 */
@Component(service = Composer.class)
public final class ExpertComposer implements Composer {

    /** Composites kept at most; the least recently made or asked for goes first. */
    static final int MAX_COMPOSITES = 32;
    /** Reasons kept at most for composites gone. */
    private static final int MAX_REASONS = 256;

    private static final Logger LOG = LoggerFactory.getLogger(ExpertComposer.class);
    private static final String RECIPE = "composite.recipe";

    /** A registered composite and what it depends on: its members, and of those named by id alone, the active versions. */
    private record Entry(Composite composite, ServiceRegistration<Expert> registration, List<String> activeMembers) {
    }

    private final ExpertRegistry registry;
    private final ExpertFormat format;
    private final BundleContext context;
    private final Map<String, MergeMethod> methods = new ConcurrentHashMap<>();
    /** By composite id, least recently used first. */
    private final LinkedHashMap<String, Entry> composites = new LinkedHashMap<>(16, 0.75f, true);
    /** Why a composite id is gone, until it is made again. */
    private final Map<String, String> dropped = new LinkedHashMap<>();

    @Activate
    public ExpertComposer(@Reference ExpertRegistry registry, @Reference ExpertFormat format, BundleContext context) {
        this.registry = registry;
        this.format = format;
        this.context = context;
    }

    @Deactivate
    void deactivate() {
        List<Entry> all;
        synchronized (composites) {
            all = new ArrayList<>(composites.values());
            composites.clear();
        }
        all.forEach(ExpertComposer::unregister);
    }

    @Reference(service = MergeMethod.class, cardinality = ReferenceCardinality.MULTIPLE, policy = ReferencePolicy.DYNAMIC)
    void bindMethod(MergeMethod method, Map<String, Object> properties) {
        Object name = properties.get(MergeMethod.NAME);
        if (name instanceof String s && !s.isBlank()) {
            methods.put(s, method);
        } else {
            LOG.warn("a merge method service without a {} property is ignored: {}", MergeMethod.NAME, method);
        }
    }

    void unbindMethod(MergeMethod method, Map<String, Object> properties) {
        methods.remove(String.valueOf(properties.get(MergeMethod.NAME)), method);
    }

    @Reference(service = Expert.class, cardinality = ReferenceCardinality.MULTIPLE, policy = ReferencePolicy.DYNAMIC,
            target = "(!(" + Expert.KIND + "=composite))")
    void bindExpert(ServiceReference<Expert> expert) {
        // Nothing to do: a composite depends only on experts that existed when it was made.
    }

    void updatedExpert(ServiceReference<Expert> expert) {
        if (!Boolean.TRUE.equals(expert.getProperty(Expert.ACTIVE))) {
            String name = name(expert);
            // The registry also clears the flag of a version it is about to remove: hence the reason's breadth.
            invalidate(e -> e.activeMembers().contains(name), name + " no longer answers for " + expert.getProperty(Expert.ID)
                    + " (upgraded, rolled back, another version pinned, or removed)");
        }
    }

    void unbindExpert(ServiceReference<Expert> expert) {
        String name = name(expert);
        invalidate(e -> e.composite().recipe().members().contains(name), name + " was removed");
    }

    @Override
    public List<String> methods() {
        return List.copyOf(new TreeMap<>(methods).keySet());
    }

    @Override
    public Composite compose(Recipe recipe, String name) {
        MergeMethod method = methods.get(recipe.method());
        if (method == null) {
            throw new IllegalArgumentException("no merge method '" + recipe.method() + "'; there are " + String.join(", ", methods())
                    + (methods.isEmpty() ? " none (is the bundle org.expertlm.composition active? see elm:status)" : ""));
        }
        List<Expert> members = new ArrayList<>();
        List<String> names = new ArrayList<>();
        List<String> active = new ArrayList<>();
        for (String member : recipe.members()) {
            String[] parts = member.split("@", 2);
            Expert expert;
            try {
                expert = parts.length == 2 ? registry.expert(parts[0], parts[1]) : registry.active(member);
            } catch (IllegalArgumentException notInstalled) {
                synchronized (composites) {
                    if (composites.containsKey(parts[0])) {
                        throw new IllegalArgumentException(parts[0] + " is itself a composite; merge its members instead ("
                                + String.join(", ", composites.get(parts[0]).composite().recipe().members()) + ")");
                    }
                }
                throw notInstalled;
            }
            members.add(expert);
            names.add(expert.descriptor().name());
            if (parts.length == 1) {
                active.add(expert.descriptor().name()); // named by id: the composite follows that id's active version
            }
        }
        Recipe resolved = recipe.withMembers(names);
        String id = name == null ? resolved.id() : name;
        if (registry.bundles().stream().anyMatch(b -> b.id().equals(id))) {
            throw new IllegalArgumentException("'" + id + "' is the id of an installed expert bundle; give the composite another name");
        }
        synchronized (composites) {
            Entry known = composites.get(id);
            if (known != null && known.composite().recipe().equals(resolved)) {
                return new Composite(known.composite().expert(), resolved, 0, true);
            }
        }
        long start = System.nanoTime();
        Expert composite;
        try {
            ExpertDescriptor first = members.get(0).descriptor();
            composite = Composition.merge(id, resolved, members, method, first.isFullDecoder() ? null : format.initialTensors(first));
        } catch (IOException e) {
            throw new UncheckedIOException("the tensors of a member of " + resolved.text() + " could not be read: " + e.getMessage(), e);
        }
        double millis = (System.nanoTime() - start) / 1e6;
        Entry entry = new Entry(new Composite(composite, resolved, millis, false), register(composite, resolved, members), active);
        List<Entry> replaced = new ArrayList<>();
        synchronized (composites) {
            Entry old = composites.put(id, entry);
            if (old != null) {
                replaced.add(old);
            }
            dropped.remove(id);
            while (composites.size() > MAX_COMPOSITES) {
                Map.Entry<String, Entry> eldest = composites.entrySet().iterator().next();
                composites.remove(eldest.getKey());
                remember(eldest.getKey(), "it was dropped from the cache of " + MAX_COMPOSITES + " composites");
                replaced.add(eldest.getValue());
            }
        }
        replaced.forEach(ExpertComposer::unregister);
        // A member that changed while it was merged: its event may have come before the composite was registered.
        for (String member : resolved.members()) {
            String[] parts = member.split("@", 2);
            if (active.contains(member) ? !stillActive(parts[0], parts[1]) : !installed(parts[0], parts[1])) {
                invalidate(e -> e == entry, member + " no longer answers for " + parts[0] + " (it changed while it was merged)");
                throw new IllegalStateException(member + " was upgraded, rolled back or removed while " + resolved.text()
                        + " was merged; merge again");
            }
        }
        LOG.info("composite {} made in {} ms: {}", composite.descriptor().name(), String.format("%.1f", millis), resolved.text());
        return entry.composite();
    }

    @Override
    public List<Composite> composites() {
        synchronized (composites) {
            return composites.values().stream().map(Entry::composite).toList();
        }
    }

    @Override
    public Composite composite(String id) {
        synchronized (composites) {
            Entry e = composites.get(id);
            if (e != null) {
                return e.composite();
            }
            String why = dropped.get(id);
            if (why != null) {
                throw new IllegalArgumentException("composite " + id + " is gone: " + why + "; merge its members again (elm:merge)");
            }
            throw new IllegalArgumentException("no composite " + id + "; there are " + (composites.isEmpty() ? "none (make one "
                    + "with elm:merge)" : String.join(", ", composites.keySet())));
        }
    }

    @Override
    public String gone(String id) {
        synchronized (composites) {
            return composites.containsKey(id) ? null : dropped.get(id);
        }
    }

    @Override
    public boolean remove(String id) {
        Entry e;
        synchronized (composites) {
            e = composites.remove(id);
        }
        if (e != null) {
            unregister(e);
        }
        return e != null;
    }

    /** Under the lock: why {@code id} went, the oldest reason forgotten past {@link #MAX_REASONS}. */
    private void remember(String id, String why) {
        dropped.remove(id);
        dropped.put(id, why);
        if (dropped.size() > MAX_REASONS) {
            dropped.remove(dropped.keySet().iterator().next());
        }
    }

    private boolean installed(String id, String version) {
        try {
            registry.expert(id, version);
            return true;
        } catch (IllegalArgumentException gone) {
            return false;
        }
    }

    private boolean stillActive(String id, String version) {
        try {
            return registry.active(id).descriptor().version().equals(version);
        } catch (IllegalArgumentException gone) {
            return false;
        }
    }

    private ServiceRegistration<Expert> register(Expert composite, Recipe recipe, List<Expert> members) {
        ExpertDescriptor d = composite.descriptor();
        Dictionary<String, Object> properties = new Hashtable<>();
        properties.put(Expert.ID, d.id());
        properties.put(Expert.VERSION, d.version());
        properties.put(Expert.TASK, d.task());
        properties.put(Expert.CLUSTER, cluster(members));
        properties.put(Expert.KIND, ExpertKind.COMPOSITE.id());
        properties.put(Expert.BASE, d.base().id());
        properties.put(Expert.ACTIVE, true);
        properties.put(RECIPE, recipe.text());
        return context.registerService(Expert.class, composite, properties);
    }

    /** The members' cluster when they share one, else {@code mixed}. */
    private String cluster(List<Expert> members) {
        List<String> clusters = registry.bundles().stream().filter(b -> members.stream().anyMatch(m -> m.descriptor().name()
                .equals(b.name()))).map(ExpertBundle::cluster).distinct().toList();
        return clusters.size() == 1 ? clusters.get(0) : "mixed";
    }

    private void invalidate(Predicate<Entry> which, String why) {
        List<Entry> gone = new ArrayList<>();
        synchronized (composites) {
            composites.values().removeIf(e -> {
                if (which.test(e)) {
                    gone.add(e);
                    remember(e.composite().expert().descriptor().id(), why);
                    return true;
                }
                return false;
            });
        }
        for (Entry e : gone) {
            LOG.info("composite {} dropped: {}", e.composite().name(), why);
            unregister(e);
        }
    }

    private static void unregister(Entry e) {
        try {
            e.registration().unregister();
        } catch (IllegalStateException alreadyGone) {
            // the framework stopping, or the composer's bundle: nothing left to do
        }
    }

    private static String name(ServiceReference<Expert> expert) {
        return expert.getProperty(Expert.ID) + "@" + expert.getProperty(Expert.VERSION);
    }
}

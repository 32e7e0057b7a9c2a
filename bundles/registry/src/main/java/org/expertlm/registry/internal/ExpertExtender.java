package org.expertlm.registry.internal;

import java.io.IOException;
import java.io.InputStream;
import java.net.URL;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Enumeration;
import java.util.Hashtable;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

import org.expertlm.api.AdapterTensors;
import org.expertlm.api.BaseModelRef;
import org.expertlm.api.Expert;
import org.expertlm.api.ExpertBundle;
import org.expertlm.api.ExpertDescriptor;
import org.expertlm.api.ExpertFormat;
import org.expertlm.api.ExpertRegistry;
import org.expertlm.api.ModelFormatException;
import org.expertlm.api.ModelStore;
import org.osgi.framework.Bundle;
import org.osgi.framework.BundleContext;
import org.osgi.framework.BundleEvent;
import org.osgi.framework.ServiceRegistration;
import org.osgi.framework.Version;
import org.osgi.framework.wiring.BundleCapability;
import org.osgi.framework.wiring.BundleRevision;
import org.osgi.framework.wiring.BundleWire;
import org.osgi.framework.wiring.BundleWiring;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Deactivate;
import org.osgi.service.component.annotations.Reference;
import org.osgi.util.tracker.BundleTracker;
import org.osgi.util.tracker.BundleTrackerCustomizer;

/**
 * The expert extender, in the manner of Felix SCR: it tracks the bundles wired to its
 * {@code osgi.extender=elm.expert} capability (no other bundle is looked at), validates each one as an
 * expert bundle (see {@link ExpertBundleLayout}) and registers its {@link Expert} service, or records
 * why it refused it. A refused bundle disturbs nothing else; uninstalling a bundle removes its service
 * or its refusal.
 */
@Component(service = ExpertRegistry.class, immediate = true)
public final class ExpertExtender implements ExpertRegistry {

    /** The largest adapter tensor file an expert bundle may carry. */
    static final long MAX_TENSOR_BYTES = 64L << 20;

    private final ModelStore store;
    private final ExpertFormat format;
    private final Map<Long, Tracked> tracked = Collections.synchronizedMap(new TreeMap<>());
    private BundleContext context;
    private BundleTracker<Tracked> tracker;

    /** A tracked bundle: what the registry says about it, and its service while it is installed. */
    private record Tracked(ExpertBundle state, ServiceRegistration<Expert> registration) {
    }

    @Activate
    public ExpertExtender(@Reference ModelStore store, @Reference ExpertFormat format, BundleContext context) {
        this.store = store;
        this.format = format;
        this.context = context;
        this.tracker = new BundleTracker<>(context, Bundle.RESOLVED | Bundle.STARTING | Bundle.ACTIVE, new Customizer());
        tracker.open();
    }

    @Deactivate
    void deactivate() {
        tracker.close();
        tracked.clear();
    }

    @Override
    public List<ExpertBundle> bundles() {
        synchronized (tracked) {
            return tracked.values().stream().map(Tracked::state).toList();
        }
    }

    private final class Customizer implements BundleTrackerCustomizer<Tracked> {

        @Override
        public Tracked addingBundle(Bundle bundle, BundleEvent event) {
            if (!wiredToThisExtender(bundle)) {
                return null;
            }
            Tracked t = install(bundle);
            tracked.put(bundle.getBundleId(), t);
            return t;
        }

        @Override
        public void modifiedBundle(Bundle bundle, BundleEvent event, Tracked t) {
        }

        @Override
        public void removedBundle(Bundle bundle, BundleEvent event, Tracked t) {
            tracked.remove(bundle.getBundleId());
            if (t.registration() != null) {
                try {
                    t.registration().unregister();
                } catch (IllegalStateException alreadyGone) {
                    // the framework unregistered it with the bundle
                }
            }
        }
    }

    private boolean wiredToThisExtender(Bundle bundle) {
        BundleWiring wiring = bundle.adapt(BundleWiring.class);
        if (wiring == null) {
            return false;
        }
        for (BundleWire wire : wiring.getRequiredWires("osgi.extender")) {
            if (wire.getProvider().getBundle().equals(context.getBundle())) {
                return true;
            }
        }
        return false;
    }

    /** Validates the bundle and registers its expert, or records the refusal. */
    private Tracked install(Bundle bundle) {
        String id = bundle.getSymbolicName() == null ? "" : bundle.getSymbolicName();
        String version = bundle.getVersion().toString();
        String cluster = clusterOf(bundle);
        ExpertDescriptor expert = null;
        long bytes = 0;
        try {
            checkNoCode(bundle);
            expert = format.read(entry(bundle, ExpertFormat.DESCRIPTION), bundle.getLocation() + "!/" + ExpertFormat.DESCRIPTION);
            if (!expert.id().equals(id) || !Version.parseVersion(expert.version()).equals(bundle.getVersion())) {
                throw new ModelFormatException(ExpertFormat.DESCRIPTION + " describes " + expert.name() + " but the bundle is " + id
                        + "@" + version + "; the packager (elm:package) writes both from one description: package the expert again");
            }
            checkBase(expert);
            bytes = checkTensors(bundle, expert).bytes();
            checkNotInstalledWithOtherContent(bundle, expert);
            Hashtable<String, Object> properties = new Hashtable<>();
            properties.put(Expert.ID, expert.id());
            properties.put(Expert.VERSION, expert.version());
            properties.put(Expert.TASK, expert.task());
            properties.put(Expert.CLUSTER, cluster);
            properties.put(Expert.KIND, expert.kind().id());
            properties.put(Expert.BASE, expert.base().id());
            ServiceRegistration<Expert> registration = context.registerService(Expert.class, new BundleExpert(bundle, expert), properties);
            return new Tracked(new ExpertBundle(bundle.getBundleId(), bundle.getLocation(), id, version, ExpertBundle.INSTALLED, "",
                    expert, cluster, bytes), registration);
        } catch (IOException | RuntimeException e) {
            String reason = e.getMessage() == null ? e.toString() : e.getMessage();
            return new Tracked(new ExpertBundle(bundle.getBundleId(), bundle.getLocation(), id, version, ExpertBundle.REFUSED, reason,
                    expert, cluster, bytes), null);
        }
    }

    private static void checkNoCode(Bundle bundle) throws ModelFormatException {
        Enumeration<URL> classes = bundle.findEntries("/", "*.class", true);
        if (classes != null && classes.hasMoreElements()) {
            throw new ModelFormatException("the bundle holds code (" + classes.nextElement().getPath()
                    + "); an expert bundle is data only: remove the class files, or package the expert with elm:package");
        }
        for (String header : List.of("Bundle-Activator", "Export-Package", "Import-Package", "DynamicImport-Package")) {
            if (bundle.getHeaders("").get(header) != null) {
                throw new ModelFormatException("the bundle's manifest has " + header + "; an expert bundle is data only, with no code "
                        + "headers: package the expert with elm:package");
            }
        }
    }

    private void checkBase(ExpertDescriptor expert) throws ModelFormatException {
        BaseModelRef installed;
        try {
            installed = store.baseModel(expert.base().id());
        } catch (IllegalArgumentException e) {
            throw new ModelFormatException("expert " + expert.name() + " adapts base model " + expert.base().id()
                    + ", which this container does not have: " + e.getMessage(), e);
        }
        if (!installed.sha256().equals(expert.base().sha256())) {
            throw new ModelFormatException("expert " + expert.name() + " adapts base model " + expert.base().id() + " with sha256 "
                    + expert.base().sha256() + ", but the installed one has " + installed.sha256()
                    + "; train the expert again over the installed base model");
        }
    }

    private static AdapterTensors checkTensors(Bundle bundle, ExpertDescriptor expert) throws IOException {
        URL url = bundle.getEntry(ExpertFormat.TENSORS);
        if (url == null) {
            throw new ModelFormatException("the bundle has no " + ExpertFormat.TENSORS + "; an expert bundle carries its adapter tensors");
        }
        long size = url.openConnection().getContentLengthLong();
        if (size > MAX_TENSOR_BYTES) {
            throw new ModelFormatException(ExpertFormat.TENSORS + " is " + size + " bytes; an expert bundle's tensors may be at most "
                    + MAX_TENSOR_BYTES + " (an adapter is a few MB: is this a whole model?)");
        }
        return BundleExpert.read(bundle, expert);
    }

    private void checkNotInstalledWithOtherContent(Bundle bundle, ExpertDescriptor expert) throws ModelFormatException {
        List<ExpertBundle> same = new ArrayList<>();
        for (ExpertBundle b : bundles()) {
            if (b.bundleId() != bundle.getBundleId() && b.state().equals(ExpertBundle.INSTALLED) && b.expert() != null
                    && b.expert().name().equals(expert.name())) {
                same.add(b);
            }
        }
        for (ExpertBundle b : same) {
            if (!b.expert().equals(expert)) {
                throw new ModelFormatException(expert.name() + " is already installed from " + b.location()
                        + " with other content; give the new one another version (elm:train expert … --version)");
            }
        }
    }

    /** The cluster the bundle's elm.expert capability declares (the framework parsed the header), or empty. */
    private static String clusterOf(Bundle bundle) {
        BundleRevision revision = bundle.adapt(BundleRevision.class);
        if (revision == null) {
            return "";
        }
        for (BundleCapability capability : revision.getDeclaredCapabilities(ExpertBundleLayout.NAMESPACE)) {
            Object cluster = capability.getAttributes().get("cluster");
            if (cluster != null) {
                return cluster.toString();
            }
        }
        return "";
    }

    static InputStream entry(Bundle bundle, String name) throws IOException {
        URL url = bundle.getEntry(name);
        if (url == null) {
            throw new ModelFormatException("the bundle has no " + name + "; an expert bundle carries " + ExpertFormat.DESCRIPTION
                    + ", " + ExpertFormat.TENSORS + " and its library (see expert-bundles/README.md)");
        }
        return url.openStream();
    }
}

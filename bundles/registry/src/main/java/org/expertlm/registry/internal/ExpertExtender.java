package org.expertlm.registry.internal;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Comparator;
import java.util.HashSet;
import java.util.Hashtable;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.function.Predicate;

import org.expertlm.api.ContainerProperties;
import org.expertlm.api.DeploymentMonitor;
import org.expertlm.api.DeploymentProblem;
import org.expertlm.api.Expert;
import org.expertlm.api.ExpertBundle;
import org.expertlm.api.ExpertFormat;
import org.expertlm.api.ExpertRegistry;
import org.expertlm.api.ModelFormatException;
import org.expertlm.api.ModelStore;
import org.expertlm.api.SentenceEncoder;
import org.osgi.framework.Bundle;
import org.osgi.framework.BundleContext;
import org.osgi.framework.BundleEvent;
import org.osgi.framework.ServiceRegistration;
import org.osgi.framework.Version;
import org.osgi.framework.hooks.bundle.CollisionHook;
import org.osgi.framework.wiring.BundleWire;
import org.osgi.framework.wiring.BundleWiring;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Deactivate;
import org.osgi.service.component.annotations.Reference;
import org.osgi.service.component.annotations.ReferenceCardinality;
import org.osgi.service.component.annotations.ReferencePolicy;
import org.osgi.service.component.annotations.ReferencePolicyOption;
import org.osgi.util.tracker.BundleTracker;
import org.osgi.util.tracker.BundleTrackerCustomizer;

/**
 * The expert extender, in the manner of Felix SCR: it tracks the bundles wired to its
 * {@code osgi.extender=elm.expert} capability (no other bundle is looked at), checks each one
 * ({@link ExpertCheck}) and registers its {@link Expert} service, or records why it refused it. A refused
 * bundle disturbs nothing else; uninstalling a bundle removes its service or its refusal.
 *
 * <p>Versions, in the manner of Sling's installer groups: every installed version of an id has its
 * service; the active one (pinned, else the highest; the first installed among equals) carries
 * {@code expert.active=true}. A new version's service is registered before the version it replaces is
 * marked inactive, and an older version's service stays until its bundle goes, so that a request that
 * holds it finishes on it.
 */
@Component(service = ExpertRegistry.class, immediate = true)
public final class ExpertExtender implements ExpertRegistry {

    /** How long an upgrade or a rollback waits for the framework to install or remove the bundle. */
    static final long WAIT_MILLIS = 30_000;

    private final ExpertCheck check;
    private final BundleContext context;
    private final Pins pins;
    private final DeployFolder deploy;
    /** Guards {@link #tracked}; waited on by upgrades and rollbacks, notified at every change. */
    private final Object lock = new Object();
    private final Map<Long, Tracked> tracked = new LinkedHashMap<>();
    /** Serialises the service property changes of {@link #refresh}, which run outside {@link #lock}. */
    private final Object propertyLock = new Object();
    private final BundleTracker<Tracked> tracker;
    private final ServiceRegistration<CollisionHook> collisionHook;
    private final ExpertJarInstaller installer;
    /** When this extender started: a bundle installed before had its chance to resolve at the framework's start. */
    private final long activated = System.currentTimeMillis();

    @Reference(cardinality = ReferenceCardinality.OPTIONAL, policy = ReferencePolicy.DYNAMIC,
            policyOption = ReferencePolicyOption.GREEDY)
    private volatile DeploymentMonitor monitor;

    /** A tracked bundle: what the registry says about it; for an installed one, its expert and service. */
    private static final class Tracked {
        final ExpertBundle state;
        final BundleExpert expert;
        final ServiceRegistration<Expert> registration;
        final Hashtable<String, Object> properties;
        boolean active;
        /** Its bundle is going: no longer a candidate to be active. */
        boolean leaving;

        Tracked(ExpertBundle state, BundleExpert expert, ServiceRegistration<Expert> registration, Hashtable<String, Object> properties) {
            this.state = state;
            this.expert = expert;
            this.registration = registration;
            this.properties = properties;
        }

        boolean installed() {
            return registration != null;
        }

        Version version() {
            return Version.parseVersion(state.version());
        }
    }

    @Activate
    public ExpertExtender(@Reference ModelStore store, @Reference ExpertFormat format, @Reference SentenceEncoder encoder,
            @Reference ExpertJarInstaller installer, BundleContext context) {
        this.check = new ExpertCheck(store, format, encoder);
        this.context = context;
        String work = context.getProperty(ContainerProperties.WORK_DIR);
        Path state = work != null ? Path.of(work, "registry") : context.getDataFile("registry").toPath();
        this.pins = new Pins(state.resolve("pins.json"));
        String deployDir = context.getProperty(ContainerProperties.DEPLOY_DIR);
        this.deploy = new DeployFolder(deployDir == null ? state.resolve("deploy") : Path.of(deployDir), state.resolve("retired"));
        // Two jars of one id@version are both installed (the framework would refuse the second with no word
        // to elm:list), so that this extender refuses the second itself, saying which one came first.
        this.collisionHook = context.registerService(CollisionHook.class, (type, target, candidates) -> allowExpertCollisions(
                target, candidates), null);
        // STOPPING is tracked too: a bundle being uninstalled passes STOPPING, then RESOLVED, on its way out, and
        // would otherwise be removed and added again, its old version answering for a moment after a rollback.
        this.tracker = new BundleTracker<>(context, Bundle.RESOLVED | Bundle.STARTING | Bundle.ACTIVE | Bundle.STOPPING,
                new Customizer());
        this.installer = installer;
        tracker.open();
    }

    @Deactivate
    void deactivate() {
        tracker.close();
        collisionHook.unregister();
        synchronized (lock) {
            tracked.clear();
        }
    }

    private static void allowExpertCollisions(Bundle target, Collection<Bundle> candidates) {
        candidates.removeIf(b -> b.getHeaders("").get("Provide-Capability") != null
                && b.getHeaders("").get("Provide-Capability").contains(ExpertBundleLayout.NAMESPACE));
    }

    @Override
    public List<ExpertBundle> bundles() {
        List<ExpertBundle> all = new ArrayList<>();
        synchronized (lock) {
            for (Tracked t : tracked.values()) {
                all.add(t.state.withVersionState(t.active, t.installed() && pins.get(t.state.id()).orElse("").equals(t.state.version())));
            }
        }
        all.addAll(undeployable(all));
        return all;
    }

    @Override
    public List<String> pending() {
        Set<String> taken = new HashSet<>();
        synchronized (lock) {
            tracked.values().forEach(t -> taken.add(t.state.location()));
        }
        DeploymentMonitor m = monitor;
        if (m != null) {
            // Jars that could not be installed as bundles at all (a truncated one) are taken up by being refused.
            m.problems().stream().filter(p -> p.bundleId() < 0)
                    .forEach(p -> taken.add(DeployFolder.location(deploy.folder().resolve(p.artifact()))));
        }
        List<String> pending = new ArrayList<>();
        for (Path jar : deploy.jars()) {
            String location = DeployFolder.location(jar);
            if (taken.contains(location) || installer.handled(jar) || installedBefore(location) || !DeployFolder.mayBeExpert(jar)) {
                continue;
            }
            pending.add(jar.getFileName().toString());
        }
        return pending;
    }

    /**
     * True when the bundle of this location was installed before this extender started (at an earlier start of
     * the container): the framework resolved it, or could not, before any jar was taken up, and the installer
     * does not install it again.
     */
    private boolean installedBefore(String location) {
        Bundle bundle = context.getBundle(location);
        return bundle != null && bundle.getLastModified() < activated;
    }

    @Override
    public Expert active(String id) {
        synchronized (lock) {
            return activeOf(id)
                    .orElseThrow(() -> new IllegalArgumentException(notInstalled(id, ""))).expert;
        }
    }

    @Override
    public Expert expert(String id, String version) {
        synchronized (lock) {
            return installedVersion(id, version).expert;
        }
    }

    @Override
    public ExpertBundle upgrade(String id, Path jar) throws IOException, InterruptedException {
        DeployFolder.JarIdentity identity = DeployFolder.identify(jar);
        if (!identity.id().equals(id)) {
            throw new IllegalArgumentException(jar + " is a bundle of " + identity.id() + ", not of " + id
                    + "; upgrade " + identity.id() + " with it, or give the jar of " + id);
        }
        String version = identity.version().toString();
        synchronized (lock) {
            Optional<String> pinned = pins.get(id);
            if (pinned.isPresent()) {
                throw new IllegalArgumentException(id + " is pinned at " + pinned.get() + "; elm:unpin " + id + " first");
            }
            for (Tracked t : tracked.values()) {
                if (t.installed() && t.state.id().equals(id) && t.version().compareTo(identity.version()) >= 0) {
                    throw new IllegalArgumentException(id + "@" + t.state.version() + " is installed; an upgrade must bring a "
                            + "higher version, and " + jar + " holds " + version + " (to return to an older one: elm:rollback or "
                            + "elm:pin)");
                }
            }
        }
        Path file = deploy.put(jar, id + "-" + version + ".jar");
        String location = file.toFile().toURI().normalize().toString(); // as FileInstall names it
        Tracked landed = await(t -> t.state.location().equals(location) && (!t.installed() || t.active),
                "installed " + id + "@" + version);
        if (!landed.installed()) {
            deploy.retire(file);
            throw new IllegalStateException(id + "@" + version + " was refused and taken out of the deploy folder again (kept in "
                    + deploy.retired() + "); nothing else changed: " + landed.state.reason());
        }
        return bundle(landed);
    }

    @Override
    public ExpertBundle rollback(String id) throws IOException, InterruptedException {
        Tracked current;
        Tracked previous;
        synchronized (lock) {
            Optional<String> pinned = pins.get(id);
            if (pinned.isPresent()) {
                throw new IllegalArgumentException(id + " is pinned at " + pinned.get() + "; elm:unpin " + id + " first (or pin "
                        + "another version)");
            }
            current = activeOf(id).orElseThrow(() -> new IllegalArgumentException(notInstalled(id, "")));
            previous = highestBelow(id, current.version());
            if (previous == null) {
                throw new IllegalArgumentException(current.state.name() + " is the only version of " + id + " installed; there is "
                        + "no earlier version to roll back to");
            }
        }
        Path file = deploy.fileOf(current.state.location()).orElseThrow(() -> new IllegalArgumentException(current.state.name()
                + " was installed from " + current.state.location() + ", not from the deploy folder " + deploy.folder()
                + "; uninstall it yourself to return to an earlier version"));
        String previousName = previous.state.name();
        Path retiredTo = deploy.retire(file);
        long gone = current.state.bundleId();
        await(t -> t.state.bundleId() == gone || !t.active && t.state.name().equals(previousName), null);
        synchronized (lock) {
            return bundle(activeOf(id).orElseThrow(() -> new IllegalStateException(
                    "no version of " + id + " is installed after the rollback; " + retiredTo + " holds " + current.state.name())));
        }
    }

    @Override
    public ExpertBundle pin(String id, String version) throws IOException {
        synchronized (lock) {
            installedVersion(id, version);
            pins.put(id, Version.parseVersion(version).toString());
        }
        refresh(id);
        return activeBundle(id);
    }

    @Override
    public ExpertBundle unpin(String id) throws IOException {
        synchronized (lock) {
            if (pins.get(id).isEmpty()) {
                throw new IllegalArgumentException(id + " is not pinned");
            }
            pins.remove(id);
        }
        refresh(id);
        return activeBundle(id);
    }

    private ExpertBundle activeBundle(String id) {
        synchronized (lock) {
            return bundle(activeOf(id).orElseThrow(() -> new IllegalArgumentException(notInstalled(id, ""))));
        }
    }

    private ExpertBundle bundle(Tracked t) {
        synchronized (lock) {
            return t.state.withVersionState(t.active, pins.get(t.state.id()).orElse("").equals(t.state.version()));
        }
    }

    private Tracked installedVersion(String id, String version) {
        Version wanted;
        try {
            wanted = Version.parseVersion(version);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("version '" + version + "': expected major.minor.micro, e.g. 1.0.0", e);
        }
        return find(t -> t.installed() && t.state.id().equals(id) && t.version().equals(wanted))
                .orElseThrow(() -> new IllegalArgumentException(notInstalled(id, version)));
    }

    /** Says what is installed of {@code id} when {@code version} (or any version, when empty) is not. */
    private String notInstalled(String id, String version) {
        List<String> versions = new ArrayList<>();
        for (Tracked t : tracked.values()) {
            if (t.installed() && t.state.id().equals(id)) {
                versions.add(t.state.version());
            }
        }
        String what = version.isEmpty() ? "no version of expert " + id : "expert " + id + "@" + version;
        return what + " is installed; " + (versions.isEmpty() ? "see elm:list for the experts there are"
                : "installed versions: " + String.join(", ", versions));
    }

    private Optional<Tracked> activeOf(String id) {
        return find(t -> t.active && t.state.id().equals(id));
    }

    private Optional<Tracked> find(Predicate<Tracked> which) {
        return tracked.values().stream().filter(which).findFirst();
    }

    private Tracked highestBelow(String id, Version below) {
        return tracked.values().stream().filter(t -> t.installed() && t.state.id().equals(id) && t.version().compareTo(below) < 0)
                .max(Comparator.comparing(Tracked::version)).orElse(null);
    }

    /** Waits until a tracked bundle matches {@code arrived}, or, with no description, until none does. */
    private Tracked await(Predicate<Tracked> arrived, String description) throws InterruptedException {
        long deadline = System.currentTimeMillis() + WAIT_MILLIS;
        synchronized (lock) {
            while (true) {
                Optional<Tracked> found = find(arrived);
                if (description != null && found.isPresent()) {
                    return found.get();
                }
                if (description == null && found.isEmpty()) {
                    return null;
                }
                long left = deadline - System.currentTimeMillis();
                if (left <= 0) {
                    throw new IllegalStateException("the framework has not " + (description == null ? "removed the bundle"
                            : description) + " within " + WAIT_MILLIS / 1000 + " s; is FileInstall watching " + deploy.folder()
                            + "? (see elm:status)");
                }
                lock.wait(left);
            }
        }
    }

    /**
     * Chooses the active version of {@code id}. The registry's own view switches at once (no moment with two
     * active versions, or none); the services' {@code expert.active} property is then set on the new one
     * before it is cleared on the old one.
     */
    private void refresh(String id) {
        synchronized (propertyLock) {
            Tracked chosen;
            List<Tracked> others = new ArrayList<>();
            synchronized (lock) {
                Optional<String> pinned = pins.get(id);
                List<Tracked> versions = tracked.values().stream()
                        .filter(t -> t.installed() && !t.leaving && t.state.id().equals(id)).toList();
                chosen = pinned.flatMap(p -> versions.stream().filter(t -> t.state.version().equals(p)).findFirst())
                        .orElseGet(() -> versions.stream().max(Comparator.comparing(Tracked::version)
                                .thenComparing(t -> -t.state.bundleId())).orElse(null));
                for (Tracked t : tracked.values()) {
                    if (t != chosen && t.active && t.state.id().equals(id)) {
                        t.active = false;
                        others.add(t);
                    }
                }
                if (chosen != null && !chosen.active) {
                    chosen.active = true;
                } else {
                    chosen = null; // already marked
                }
                lock.notifyAll();
            }
            if (chosen != null) {
                advertise(chosen, true);
            }
            for (Tracked t : others) {
                advertise(t, false);
            }
        }
    }

    private static void advertise(Tracked t, boolean active) {
        t.properties.put(Expert.ACTIVE, active);
        try {
            t.registration.setProperties(t.properties);
        } catch (IllegalStateException gone) {
            // its bundle is going; the framework unregistered the service with it
        }
    }

    /** The jars of the deploy folder that could not be installed as bundles at all, as refused expert bundles. */
    private List<ExpertBundle> undeployable(List<ExpertBundle> installed) {
        DeploymentMonitor m = monitor;
        if (m == null) {
            return List.of();
        }
        List<ExpertBundle> refused = new ArrayList<>();
        for (DeploymentProblem p : m.problems()) {
            if (p.bundleId() >= 0 || !p.artifact().endsWith(".jar")) {
                continue;
            }
            Path file = m.deployFolder().resolve(p.artifact());
            String id = p.artifact().substring(0, p.artifact().length() - ".jar".length());
            String version = "";
            String reason;
            try {
                DeployFolder.JarIdentity identity = DeployFolder.identify(file);
                if (!identity.expert()) {
                    continue; // a bundle of another kind: elm:status reports it
                }
                id = identity.id();
                version = identity.version().toString();
                String name = id + "@" + version;
                reason = installed.stream().filter(b -> b.name().equals(name)).findFirst()
                        .map(b -> "it could not be installed beside " + name + " from " + b.location() + ": " + p.reason())
                        .orElse("it could not be installed: " + p.reason()) + "; " + p.fix();
            } catch (IllegalArgumentException unreadable) {
                reason = unreadable.getMessage();
            }
            refused.add(new ExpertBundle(-1, file.toUri().toString(), id, version, ExpertBundle.REFUSED, reason, null, "", 0,
                    false, false, ""));
        }
        return refused;
    }

    private final class Customizer implements BundleTrackerCustomizer<Tracked> {

        @Override
        public Tracked addingBundle(Bundle bundle, BundleEvent event) {
            if (!wiredToThisExtender(bundle)) {
                return null;
            }
            Tracked t = install(bundle);
            synchronized (lock) {
                tracked.put(bundle.getBundleId(), t);
                lock.notifyAll();
            }
            if (t.installed()) {
                refresh(t.state.id());
            }
            return t;
        }

        @Override
        public void modifiedBundle(Bundle bundle, BundleEvent event, Tracked t) {
        }

        @Override
        public void removedBundle(Bundle bundle, BundleEvent event, Tracked t) {
            if (t.installed()) {
                synchronized (lock) {
                    t.leaving = true;
                }
                refresh(t.state.id()); // the next version is marked active before this one is unmarked, then goes
            }
            synchronized (lock) {
                tracked.remove(bundle.getBundleId());
            }
            if (t.installed()) {
                try {
                    t.registration.unregister();
                } catch (IllegalStateException alreadyGone) {
                    // the framework unregistered it with the bundle
                }
            }
            synchronized (lock) {
                lock.notifyAll();
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

    /** Checks the bundle and registers its expert (inactive until {@link #refresh}), or records the refusal. */
    private Tracked install(Bundle bundle) {
        String id = bundle.getSymbolicName() == null ? "" : bundle.getSymbolicName();
        String version = bundle.getVersion().toString();
        try {
            ExpertCheck.Checked checked = check.check(bundle);
            checkNotInstalledWithOtherContent(bundle, checked);
            BundleExpert expert = new BundleExpert(bundle, checked.expert(), checked.tensors(), checked.library());
            Hashtable<String, Object> properties = new Hashtable<>();
            properties.put(Expert.ID, checked.expert().id());
            properties.put(Expert.VERSION, checked.expert().version());
            properties.put(Expert.TASK, checked.expert().task());
            properties.put(Expert.CLUSTER, checked.cluster());
            properties.put(Expert.KIND, checked.expert().kind().id());
            properties.put(Expert.BASE, checked.expert().base().id());
            properties.put(Expert.ACTIVE, false);
            ServiceRegistration<Expert> registration = context.registerService(Expert.class, expert, properties);
            ExpertBundle state = new ExpertBundle(bundle.getBundleId(), bundle.getLocation(), id, version, ExpertBundle.INSTALLED, "",
                    checked.expert(), checked.cluster(), checked.tensors().bytes(), false, false, libraryNote(checked));
            return new Tracked(state, expert, registration, properties);
        } catch (IOException | RuntimeException e) {
            String reason = e.getMessage() == null ? e.toString() : e.getMessage();
            return new Tracked(new ExpertBundle(bundle.getBundleId(), bundle.getLocation(), id, version, ExpertBundle.REFUSED, reason,
                    null, ExpertCheck.cluster(bundle), 0, false, false, ""), null, null, null);
        }
    }

    private static String libraryNote(ExpertCheck.Checked checked) {
        var library = checked.library();
        String note = library.instances().size() + " instances, vectors of " + library.encoder();
        return library.recomputed() ? note + " (recomputed at install: the bundle's were made by " + library.shippedEncoder() + ")" : note;
    }

    private void checkNotInstalledWithOtherContent(Bundle bundle, ExpertCheck.Checked checked) throws ModelFormatException {
        synchronized (lock) {
            for (Tracked t : tracked.values()) {
                if (t.installed() && t.state.bundleId() != bundle.getBundleId() && t.state.name().equals(checked.expert().name())
                        && !t.state.expert().equals(checked.expert())) {
                    throw new ModelFormatException(checked.expert().name() + " is already installed from " + t.state.location()
                            + " with other content; give the new one another version (elm:train expert … --version)");
                }
            }
        }
    }
}

package org.expertlm.api;

import java.nio.charset.StandardCharsets;
import java.util.HexFormat;
import java.util.List;
import java.util.Locale;
import java.util.Objects;

import org.osgi.annotation.versioning.ProviderType;

/**
 * Merges installed experts' weights at runtime into a composite expert, registered as an {@link Expert} service of
 * kind {@code composite} (nothing restarts) and answered with like any other: {@code elm:ask <composite id> …}.
 * Composites are cached by recipe, and dropped when a member is upgraded, rolled back or removed (asking for one then
 * says why). Adapters merge in delta space: a LoRA pair as its update ΔW = scale·A·B, never factor by factor.
 *
 * <pre>{@code
 * Composite c = composer.compose(Recipe.of(List.of("spam.spam-yes-no", "spam.lettered"), "ties").withDensity(0.3), null);
 * try (ModelHandle m = engine.open(c.expert().descriptor(), c.expert().tensors())) { … }
 * }</pre>
 */
@ProviderType
public interface Composer {

    /** The density of a recipe that names none. */
    double DEFAULT_DENSITY = 0.5;

    /**
     * What a composite is made of.
     *
     * @param members the experts merged, {@code id@version} each (an {@code id} alone means its active version, and
     *     is resolved by {@link #compose}), in order, each once, at least one
     * @param method the merge method's name ({@link MergeMethod#NAME})
     * @param weights one per member (1 each by default)
     * @param density the share of entries TIES and DARE keep
     * @param lambda the factor the merged update is scaled by (1 by default)
     * @param seed of DARE's drops
     */
    record Recipe(List<String> members, String method, List<Double> weights, double density, double lambda, long seed) {

        public Recipe {
            members = List.copyOf(members);
            weights = List.copyOf(weights);
            Objects.requireNonNull(method, "method");
            if (members.isEmpty()) {
                throw new IllegalArgumentException("a merge needs at least one expert; name the experts to merge");
            }
            if (members.stream().distinct().count() != members.size()) {
                throw new IllegalArgumentException("experts " + members + ": each expert may be merged once; give one weight "
                        + "per expert instead of naming it twice");
            }
            if (weights.size() != members.size()) {
                throw new IllegalArgumentException(weights.size() + " weights for " + members.size() + " experts " + members
                        + "; give one weight per expert, in their order");
            }
            for (double w : weights) {
                if (!Double.isFinite(w)) {
                    throw new IllegalArgumentException("weight " + w + ": expected finite numbers");
                }
            }
            new MergeMethod.Parameters(density, lambda, seed, ""); // checks density and lambda
        }

        /** {@code members} merged by {@code method}: weights 1, {@link #DEFAULT_DENSITY}, λ 1, seed 0. */
        public static Recipe of(List<String> members, String method) {
            return new Recipe(members, method, members.stream().map(m -> 1.0).toList(), DEFAULT_DENSITY, 1, 0);
        }

        public Recipe withWeights(List<Double> w) {
            return new Recipe(members, method, w, density, lambda, seed);
        }

        public Recipe withDensity(double d) {
            return new Recipe(members, method, weights, d, lambda, seed);
        }

        public Recipe withLambda(double l) {
            return new Recipe(members, method, weights, density, l, seed);
        }

        public Recipe withSeed(long s) {
            return new Recipe(members, method, weights, density, lambda, s);
        }

        public Recipe withMembers(List<String> m) {
            return new Recipe(m, method, weights, density, lambda, seed);
        }

        /** The recipe as one line, the text its id digests: equal recipes print alike. */
        public String text() {
            return String.format(Locale.ROOT, "%s(%s; weights %s; density %s; lambda %s; seed %d)", method,
                    String.join(", ", members), weights, density, lambda, seed);
        }

        /** {@code merge-} and 12 hex digits of the SHA-256 of {@link #text}: the id of the composite this recipe makes. */
        public String id() {
            byte[] digest = AdapterTensors.sha256Digest().digest(text().getBytes(StandardCharsets.UTF_8));
            return "merge-" + HexFormat.of().formatHex(digest).substring(0, 12);
        }
    }

    /**
     * A composite made and registered.
     *
     * @param expert the composite expert (its descriptor's provenance holds the recipe)
     * @param recipe what it is made of, every member with its version
     * @param mergeMillis how long the merge took (deltas included); 0 when it came from the cache
     * @param cached true when the recipe had been merged before and the composite was still valid
     */
    record Composite(Expert expert, Recipe recipe, double mergeMillis, boolean cached) {

        public Composite {
            Objects.requireNonNull(expert, "expert");
            Objects.requireNonNull(recipe, "recipe");
        }

        /** The composite's {@code id@version}, the name its answers give. */
        public String name() {
            return expert.descriptor().name();
        }
    }

    /** The merge methods there are, by name, sorted. */
    List<String> methods();

    /**
     * Merges the recipe's members and registers the composite, or returns the one the recipe made before.
     *
     * @param name the composite's id; null for the recipe's {@link Recipe#id}. A name another recipe had is taken
     *     over by this one.
     * @throws IllegalArgumentException when a member is not installed, the method does not exist (the message lists
     *     those there are), or the members cannot be merged: another base model, adapters in other places or of
     *     other sizes, a full-decoder fine-tune (the message names the mismatch)
     */
    Composite compose(Recipe recipe, String name);

    /** The composites registered now, the least recently made or asked for first. */
    List<Composite> composites();

    /**
     * The composite with that id.
     *
     * @throws IllegalArgumentException when there is none; for one dropped because a member changed, the message says
     *     which member and how to merge again
     */
    Composite composite(String id);

    /**
     * Why the composite with that id went (a member upgraded, rolled back or removed; dropped from the cache), or null
     * when it is registered, or never was.
     */
    String gone(String id);

    /** Unregisters the composite with that id; false when there was none. */
    boolean remove(String id);

    /**
     * The expert {@code name} names ({@code id} for its active version, or {@code id@version}): an installed one, else a
     * composite of {@code composer}, so that a command or a solver answers with either alike.
     *
     * @param composer the composer, or null when none is running
     * @throws IllegalArgumentException when neither has it: the registry's message, or the composer's for a composite
     *     that is gone (saying why) or an id of the form {@code merge-…}
     */
    static Expert find(ExpertRegistry registry, Composer composer, String name) {
        String[] parts = name.split("@", 2);
        try {
            return parts.length == 2 ? registry.expert(parts[0], parts[1]) : registry.active(name);
        } catch (IllegalArgumentException notInstalled) {
            if (composer == null) {
                throw notInstalled;
            }
            Composite composite;
            try {
                composite = composer.composite(parts[0]);
            } catch (IllegalArgumentException notComposite) {
                throw parts[0].startsWith("merge-") || composer.gone(parts[0]) != null ? notComposite : notInstalled;
            }
            String version = composite.expert().descriptor().version();
            if (parts.length == 2 && !parts[1].equals(version)) {
                throw new IllegalArgumentException("composite " + parts[0] + " has version " + version + ", not " + parts[1]);
            }
            return composite.expert();
        }
    }
}

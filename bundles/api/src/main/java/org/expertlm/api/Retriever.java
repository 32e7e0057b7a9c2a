package org.expertlm.api;

import java.util.List;
import java.util.Locale;
import java.util.Objects;
import java.util.function.Consumer;

import org.osgi.annotation.versioning.ProviderType;

/**
 * Retrieval of Experts: a task's unlabeled instances in, the experts whose library instances they are nearest
 * to out, ranked by votes, each with the library instances that chose it. The library follows the registry:
 * the active version of every installed expert, nothing else.
 *
 * <pre>{@code
 * Retrieval r = retriever.retrieve(instances, retriever.settings());   // the configured Q, k, mode and format
 * String chosen = r.experts().get(0).name();                         // e.g. spam.yes-no@1.0.0
 * }</pre>
 */
@ProviderType
public interface Retriever {

    /**
     * The Config Admin PID of the retrieval defaults: properties {@code q}, {@code k}, {@code mode}, {@code format},
     * {@code granularity} and {@code mixture}, as {@link Settings} names them; what is not set is the paper's.
     */
    String PID = "org.expertlm.retrieval";

    /**
     * How library instances are found: by sentence vector (the paper's), by their words (BM25, the paper's
     * ablation), or both fused by reciprocal rank.
     */
    enum Mode { DENSE, BM25, HYBRID }

    /**
     * The text an instance is embedded (or matched by BM25) as, library instances and queries alike; {@code x} is
     * the prompted input.
     */
    enum Format {
        /** {@code Instance: x}. */
        INSTANCE,
        /** {@code Answer Choices: a, b, Instance: x}: the paper's default; library vectors ship in this format. */
        LABEL_INSTANCE,
        /**
         * {@code Answer Choices: a ||| b, Instance: x}: the choices as a template's answer-choice pattern writes
         * them (promptsource's {@code |||}).
         */
        CHOICE_INSTANCE;

        /** The instance's text in this format; without choices every format is {@code Instance: x}. */
        public String text(String input, List<String> choices) {
            String instance = "Instance: " + input;
            if (choices.isEmpty() || this == INSTANCE) {
                return instance;
            }
            return "Answer Choices: " + String.join(this == LABEL_INSTANCE ? ", " : " ||| ", choices) + ", " + instance;
        }

        /** Its name as settings and commands write it: {@code instance}, {@code label_instance}, {@code choice_instance}. */
        public String key() {
            return name().toLowerCase(Locale.ROOT);
        }
    }

    /** Who the vote chooses for: the whole task (the paper's: one expert answers every instance), or each instance alone. */
    enum Granularity { TASK, INSTANCE }

    /**
     * How to retrieve, and how many experts answer.
     *
     * @param q how many of the task's instances vote (its first q) at task granularity; per instance every
     *     instance routes itself
     * @param k library instances each instance retrieves, one vote each
     * @param mode dense, BM25 or hybrid
     * @param format the text format of queries and library instances
     * @param granularity per task or per instance
     * @param mixture how many of the top experts answer together (1: the chosen expert alone): each choice's
     *     probability averaged over them, weighted by their votes
     * @param librarySize how many of each expert's library instances are searched, its first ones (the paper's S;
     *     an expert bundle carries {@link ExpertPackager#LIBRARY_SIZE}, and more than it carries means all)
     */
    record Settings(int q, int k, Mode mode, Format format, Granularity granularity, int mixture, int librarySize) {

        /** Q = 32, k = 1, dense, label_instance, per task, one expert, S = 100: the paper's RoE. */
        public static final Settings DEFAULT = new Settings(32, 1, Mode.DENSE, Format.LABEL_INSTANCE, Granularity.TASK, 1);

        /** Settings that search every library instance an expert carries. */
        public Settings(int q, int k, Mode mode, Format format, Granularity granularity, int mixture) {
            this(q, k, mode, format, granularity, mixture, ExpertPackager.LIBRARY_SIZE);
        }

        public Settings {
            if (librarySize < 1) {
                throw new IllegalArgumentException("librarySize = " + librarySize + ": at least one library instance of each "
                        + "expert must be searched");
            }
            Objects.requireNonNull(mode, "mode");
            Objects.requireNonNull(format, "format");
            Objects.requireNonNull(granularity, "granularity");
            if (q < 1) {
                throw new IllegalArgumentException("q = " + q + ": at least one instance must vote");
            }
            if (k < 1) {
                throw new IllegalArgumentException("k = " + k + ": each instance must retrieve at least one library instance");
            }
            if (mixture < 1) {
                throw new IllegalArgumentException("mixture = " + mixture + ": at least one expert must answer");
            }
        }

        public Settings withQ(int value) {
            return new Settings(value, k, mode, format, granularity, mixture, librarySize);
        }

        public Settings withK(int value) {
            return new Settings(q, value, mode, format, granularity, mixture, librarySize);
        }

        public Settings withMode(Mode value) {
            return new Settings(q, k, value, format, granularity, mixture, librarySize);
        }

        public Settings withFormat(Format value) {
            return new Settings(q, k, mode, value, granularity, mixture, librarySize);
        }

        public Settings withGranularity(Granularity value) {
            return new Settings(q, k, mode, format, value, mixture, librarySize);
        }

        public Settings withMixture(int value) {
            return new Settings(q, k, mode, format, granularity, value, librarySize);
        }

        public Settings withLibrarySize(int value) {
            return new Settings(q, k, mode, format, granularity, mixture, value);
        }

        /** The mode a setting or command names ({@code dense}, {@code bm25}, {@code hybrid}). */
        public static Mode mode(String name) {
            return parse(Mode.class, name, "mode", "dense, bm25 or hybrid");
        }

        /** The format a setting or command names ({@code instance}, {@code label_instance}, {@code choice_instance}). */
        public static Format format(String name) {
            return parse(Format.class, name, "format", "instance, label_instance or choice_instance");
        }

        /** The granularity a setting or command names ({@code task}, {@code instance}). */
        public static Granularity granularity(String name) {
            return parse(Granularity.class, name, "granularity", "task or instance");
        }

        private static <E extends Enum<E>> E parse(Class<E> type, String name, String what, String expected) {
            try {
                return Enum.valueOf(type, name.strip().toUpperCase(Locale.ROOT).replace('-', '_'));
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException("unknown " + what + " '" + name + "'; expected " + expected);
            }
        }
    }

    /**
     * One unlabeled instance of a task.
     *
     * @param input the prompted input
     * @param choices its answer choices; empty for generation
     */
    record Instance(String input, List<String> choices) {

        public Instance {
            Objects.requireNonNull(input, "input");
            choices = List.copyOf(choices);
        }
    }

    /**
     * A library instance a query retrieved.
     *
     * @param template its template
     * @param text its text, in the retrieval's format
     * @param score the cosine similarity (dense), BM25 score, or fused reciprocal-rank score (hybrid) of the match
     */
    record Neighbour(String template, String text, double score) {
    }

    /**
     * An expert the instances voted for.
     *
     * @param expertId its id
     * @param version the version whose library answered
     * @param votes how many retrieved library instances were its
     * @param meanScore their mean score
     * @param nearest those library instances, best first (at most a few): why it was chosen
     */
    record Choice(String expertId, String version, int votes, double meanScore, List<Neighbour> nearest) {

        public Choice {
            nearest = List.copyOf(nearest);
        }

        /** {@code id@version}. */
        public String name() {
            return expertId + "@" + version;
        }
    }

    /**
     * What a retrieval found.
     *
     * @param mode how
     * @param queries the instances that voted
     * @param k library instances retrieved per query (each one a vote)
     * @param experts the experts voted for, most votes first (a tie to the one met first); per instance, the votes of
     *     all instances together
     * @param libraryInstances the library instances searched
     * @param encoder the sentence encoder that embedded the queries (dense)
     * @param format the text format of the queries and library instances
     * @param granularity per task or per instance
     * @param routes per instance, each instance's own ranking, in the instances' order; empty per task
     */
    record Retrieval(Mode mode, int queries, int k, List<Choice> experts, int libraryInstances, String encoder, Format format,
            Granularity granularity, List<List<Choice>> routes) {

        public Retrieval {
            experts = List.copyOf(experts);
            routes = routes.stream().map(List::copyOf).toList();
        }
    }

    /**
     * Votes for experts with {@code instances}: per task, the first {@link Settings#q} of them vote together; per
     * instance, each one's own retrieved library instances rank experts for it alone.
     *
     * @throws IllegalArgumentException when there are no instances
     * @throws IllegalStateException when the library is empty (no expert installed)
     */
    default Retrieval retrieve(List<Instance> instances, Settings settings) {
        return retrieve(instances, settings, line -> { });
    }

    /**
     * As {@link #retrieve(List, Settings)}, with progress lines to {@code progress}: the library's vectors of a format
     * are computed the first time a retrieval asks for that format, which takes a while.
     */
    Retrieval retrieve(List<Instance> instances, Settings settings, Consumer<String> progress);

    /** The first {@code q = instances.size()} instances vote per task, each retrieving {@code k} in label_instance format. */
    default Retrieval retrieve(List<Instance> instances, int k, Mode mode) {
        return retrieve(instances, new Settings(Math.max(1, instances.size()), k, mode, Format.LABEL_INSTANCE,
                Granularity.TASK, 1));
    }

    /** The defaults configured under {@link #PID} ({@link Settings#DEFAULT} where none is). */
    Settings settings();
}

package org.expertlm.api;

import java.util.List;
import java.util.Objects;

import org.osgi.annotation.versioning.ProviderType;

/**
 * Retrieval of Experts: a task's unlabeled instances in, the experts whose library instances they are nearest
 * to out, ranked by votes, each with the library instances that chose it. The library follows the registry:
 * the active version of every installed expert, nothing else.
 */
@ProviderType
public interface Retriever {

    /**
     * How library instances are found: by sentence vector (the paper's), by their words (BM25, the paper's
     * ablation), or both fused by reciprocal rank.
     */
    enum Mode { DENSE, BM25, HYBRID }

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
     * @param text its text, as embedded
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
     * @param experts the experts voted for, most votes first (a tie to the one met first)
     * @param libraryInstances the library instances searched
     * @param encoder the sentence encoder that embedded the queries (dense)
     */
    record Retrieval(Mode mode, int queries, int k, List<Choice> experts, int libraryInstances, String encoder) {

        public Retrieval {
            experts = List.copyOf(experts);
        }
    }

    /**
     * Votes for experts with {@code instances}, each retrieving its {@code k} nearest library instances.
     *
     * @throws IllegalArgumentException when there are no instances, or {@code k} is not positive
     * @throws IllegalStateException when the library is empty (no expert installed)
     */
    Retrieval retrieve(List<Instance> instances, int k, Mode mode);
}

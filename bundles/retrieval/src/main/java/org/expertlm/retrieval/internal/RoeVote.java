package org.expertlm.retrieval.internal;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Retrieval of Experts' vote: every library instance a query retrieves is one vote for its expert. Experts are
 * ranked by votes; a tie goes to the expert met first (the query that found it earliest, then its rank in that
 * query's hits: the paper's rule), so the same queries always give the same ranking.
 */
final class RoeVote {

    private RoeVote() {
    }

    /**
     * An expert the queries voted for.
     *
     * @param expertId its id
     * @param version the version its library instances came from
     * @param votes how many retrieved instances were its
     * @param meanScore the mean score of those instances
     * @param nearest those instances, best score first: why it was chosen
     */
    record Vote(String expertId, String version, int votes, double meanScore, List<LibraryIndex.Hit> nearest) {
    }

    /** The experts the queries' hits vote for, ranked; {@code hits.get(q)} are query q's hits, best first. */
    static List<Vote> rank(List<List<LibraryIndex.Hit>> hits) {
        Map<String, List<LibraryIndex.Hit>> byExpert = new LinkedHashMap<>(); // in the order experts are met
        for (List<LibraryIndex.Hit> query : hits) {
            for (LibraryIndex.Hit hit : query) {
                byExpert.computeIfAbsent(hit.expertId(), id -> new ArrayList<>()).add(hit);
            }
        }
        List<Vote> votes = new ArrayList<>();
        for (List<LibraryIndex.Hit> mine : byExpert.values()) {
            List<LibraryIndex.Hit> nearest = new ArrayList<>(mine);
            nearest.sort(Comparator.comparingDouble(LibraryIndex.Hit::score).reversed());
            double mean = mine.stream().mapToDouble(LibraryIndex.Hit::score).average().orElse(Double.NaN);
            votes.add(new Vote(mine.get(0).expertId(), mine.get(0).version(), mine.size(), mean, nearest));
        }
        // A stable sort: equal votes keep the order in which their experts were met.
        votes.sort(Comparator.comparingInt(Vote::votes).reversed());
        return votes;
    }
}

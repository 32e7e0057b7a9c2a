package org.expertlm.retrieval.internal;

import static org.junit.Assert.assertEquals;

import java.util.List;

import org.junit.Test;

/** The vote: one vote per retrieved instance, most votes first, a tie to the expert met first. */
public class RoeVoteTest {

    private static LibraryIndex.Hit hit(String expert, float score) {
        return new LibraryIndex.Hit(expert, "1.0.0", expert + "/t", "text", score);
    }

    @Test
    public void theExpertWithTheMostVotesWinsWithItsMeanScoreAndNearestInstances() {
        List<RoeVote.Vote> votes = RoeVote.rank(List.of(List.of(hit("b", 0.5f)), List.of(hit("a", 0.9f)),
                List.of(hit("a", 0.7f)), List.of(hit("c", 0.99f))));
        assertEquals(List.of("a", "b", "c"), votes.stream().map(RoeVote.Vote::expertId).toList());
        assertEquals(2, votes.get(0).votes());
        assertEquals(0.8, votes.get(0).meanScore(), 1e-6);
        assertEquals(List.of(0.9f, 0.7f), votes.get(0).nearest().stream().map(LibraryIndex.Hit::score).toList());
    }

    @Test
    public void aTieGoesToTheExpertMetFirstWhateverItsScore() {
        List<RoeVote.Vote> votes = RoeVote.rank(List.of(List.of(hit("b", 0.1f)), List.of(hit("a", 0.9f)),
                List.of(hit("a", 0.9f)), List.of(hit("b", 0.1f))));
        assertEquals(List.of("b", "a"), votes.stream().map(RoeVote.Vote::expertId).toList());
    }

    @Test
    public void withKHitsPerQueryEveryHitVotesAndNoQueriesGiveNoExperts() {
        List<RoeVote.Vote> votes = RoeVote.rank(List.of(List.of(hit("a", 0.9f), hit("b", 0.8f), hit("b", 0.7f))));
        assertEquals(List.of("b", "a"), votes.stream().map(RoeVote.Vote::expertId).toList());
        assertEquals(List.of(), RoeVote.rank(List.of()));
    }
}

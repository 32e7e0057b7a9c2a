package org.expertlm.tasks.parse;

import java.util.Map;
import java.util.TreeMap;

/** Records skipped while parsing, counted by reason; reported as one warning per reason. */
public final class Skips {

    private final Map<String, Integer> counts = new TreeMap<>();

    /** Counts one skipped record. */
    public void skip(String reason) {
        counts.merge(reason, 1, Integer::sum);
    }

    public int total() {
        return counts.values().stream().mapToInt(Integer::intValue).sum();
    }

    public int count(String reason) {
        return counts.getOrDefault(reason, 0);
    }

    public Map<String, Integer> byReason() {
        return Map.copyOf(counts);
    }

    /** {@code "3 skipped: 2 truncated mail, 1 unknown encoding x-foo"}, or empty when none were. */
    public String summary() {
        if (counts.isEmpty()) {
            return "";
        }
        StringBuilder text = new StringBuilder(total() + " skipped:");
        counts.forEach((reason, n) -> text.append(' ').append(n).append(' ').append(reason).append(','));
        return text.substring(0, text.length() - 1);
    }
}

package org.expertlm.api;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Metrics of generated text against a reference, for generation tasks (a generation expert's
 * validation, the evaluation of composed tasks). Both are F-scores in [0, 1]:
 * <ul>
 * <li>{@link #rougeL}: ROUGE-L, the F1 of the longest common subsequence of word tokens, as Google's
 * {@code rouge-score} tokenises without stemming: lower-cased, runs of ASCII letters and digits (any
 * other character separates tokens, so accented letters do);</li>
 * <li>{@link #chrF}: chrF (Popović 2015) as sacreBLEU's default computes it: character n-grams of
 * orders 1 to 6 with whitespace removed, precision and recall averaged over the orders both texts
 * have n-grams of, F with β = 2.</li>
 * </ul>
 */
public final class TextMetrics {

    private static final int CHRF_ORDER = 6;
    private static final double CHRF_BETA = 2;

    private TextMetrics() {
    }

    /** ROUGE-L F1 of {@code candidate} against {@code reference}; 0 when either has no word token. */
    public static double rougeL(String candidate, String reference) {
        List<String> c = words(candidate);
        List<String> r = words(reference);
        if (c.isEmpty() || r.isEmpty()) {
            return 0;
        }
        int lcs = lcs(c, r);
        if (lcs == 0) {
            return 0;
        }
        double precision = lcs / (double) c.size();
        double recall = lcs / (double) r.size();
        return 2 * precision * recall / (precision + recall);
    }

    /** chrF (β = 2, orders 1 to 6) of {@code candidate} against {@code reference}; 0 when nothing matches. */
    public static double chrF(String candidate, String reference) {
        String c = candidate.replaceAll("\\s+", "");
        String r = reference.replaceAll("\\s+", "");
        double precision = 0;
        double recall = 0;
        int orders = 0;
        for (int n = 1; n <= CHRF_ORDER; n++) {
            Map<String, Integer> cn = ngrams(c, n);
            Map<String, Integer> rn = ngrams(r, n);
            int cTotal = cn.values().stream().mapToInt(Integer::intValue).sum();
            int rTotal = rn.values().stream().mapToInt(Integer::intValue).sum();
            if (cTotal == 0 || rTotal == 0) {
                continue;
            }
            int matches = 0;
            for (Map.Entry<String, Integer> e : cn.entrySet()) {
                matches += Math.min(e.getValue(), rn.getOrDefault(e.getKey(), 0));
            }
            precision += matches / (double) cTotal;
            recall += matches / (double) rTotal;
            orders++;
        }
        if (orders == 0) {
            return 0;
        }
        precision /= orders;
        recall /= orders;
        double b2 = CHRF_BETA * CHRF_BETA;
        return precision + recall == 0 ? 0 : (1 + b2) * precision * recall / (b2 * precision + recall);
    }

    /** Lower-cased runs of ASCII letters and digits, as {@code rouge-score} tokenises. */
    static List<String> words(String text) {
        List<String> out = new ArrayList<>();
        for (String w : text.toLowerCase(Locale.ROOT).split("[^a-z0-9]+")) {
            if (!w.isEmpty()) {
                out.add(w);
            }
        }
        return out;
    }

    private static int lcs(List<String> a, List<String> b) {
        int[] previous = new int[b.size() + 1];
        int[] current = new int[b.size() + 1];
        for (String x : a) {
            for (int j = 1; j <= b.size(); j++) {
                current[j] = x.equals(b.get(j - 1)) ? previous[j - 1] + 1 : Math.max(previous[j], current[j - 1]);
            }
            int[] t = previous;
            previous = current;
            current = t;
        }
        return previous[b.size()];
    }

    private static Map<String, Integer> ngrams(String s, int n) {
        Map<String, Integer> out = new HashMap<>();
        int[] cps = s.codePoints().toArray();
        for (int i = 0; i + n <= cps.length; i++) {
            out.merge(new String(cps, i, n), 1, Integer::sum);
        }
        return out;
    }
}

package org.expertlm.tasks.parse;

import java.util.ArrayList;
import java.util.List;

/** A fortune file: records separated by lines holding only {@code %}. Empty records are skipped and counted. */
public final class Fortunes {

    private Fortunes() {
    }

    public static List<String> parse(String text, Skips skips) {
        List<String> quotes = new ArrayList<>();
        StringBuilder current = new StringBuilder();
        for (String line : text.split("\n")) {
            if (line.strip().equals("%")) {
                String quote = current.toString().strip();
                if (quote.isEmpty()) {
                    skips.skip("empty fortune");
                } else {
                    quotes.add(quote);
                }
                current.setLength(0);
            } else {
                current.append(line).append('\n');
            }
        }
        if (!current.toString().isBlank()) {
            quotes.add(current.toString().strip()); // the last record needs no closing %
        }
        return quotes;
    }
}

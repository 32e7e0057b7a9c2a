package org.expertlm.api;

import java.util.Locale;

/** The fixed splits of every task: train for experts, validation for early stopping, test for evaluation. */
public enum Split {
    TRAIN, VALIDATION, TEST;

    /** The lower-case name used in files and on the console: {@code train}, {@code validation}, {@code test}. */
    public String id() {
        return name().toLowerCase(Locale.ROOT);
    }

    /** The split named {@code text} (case-insensitive; {@code val} and {@code dev} mean validation). */
    public static Split parse(String text) {
        String t = text.strip().toLowerCase(Locale.ROOT);
        return switch (t) {
            case "train" -> TRAIN;
            case "validation", "val", "dev" -> VALIDATION;
            case "test" -> TEST;
            default -> throw new IllegalArgumentException("no split '" + text + "'; expected train, validation or test");
        };
    }
}

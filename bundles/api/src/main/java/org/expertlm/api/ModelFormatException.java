package org.expertlm.api;

import java.io.IOException;

/**
 * A persisted model, expert or tensor file is not what its reader expects: another format or format
 * version, another base model, tensors that are not the ones described, or a malformed file. The
 * message says what was found, what was expected and how to fix it.
 */
public class ModelFormatException extends IOException {

    private static final long serialVersionUID = 1L;

    public ModelFormatException(String message) {
        super(message);
    }

    public ModelFormatException(String message, Throwable cause) {
        super(message, cause);
    }

    /**
     * Checks a format name and version as written in a file: {@code found} must be {@code expected}.
     *
     * @param what the file, as the message should name it
     * @param found the format the file names, or null when it names none
     * @param expected the format this reader reads, e.g. {@code elm-expert/1}
     * @throws ModelFormatException naming both and what to do
     */
    public static void check(String what, String found, String expected) throws ModelFormatException {
        if (!expected.equals(found)) {
            throw new ModelFormatException(what + " is in format " + (found == null || found.isEmpty() ? "(none named)" : found)
                    + " but this ELM reads " + expected + "; write it again with this version of ELM (train or package it "
                    + "anew), or use the ELM version that wrote it");
        }
    }
}

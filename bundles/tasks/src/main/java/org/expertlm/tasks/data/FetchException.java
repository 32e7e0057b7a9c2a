package org.expertlm.tasks.data;

/** A source that could not be fetched: the message says what, from where, and what to do. */
public final class FetchException extends Exception {

    private static final long serialVersionUID = 1L;

    public FetchException(String message) {
        super(message);
    }

    public FetchException(String message, Throwable cause) {
        super(message, cause);
    }
}

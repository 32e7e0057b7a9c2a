package org.expertlm.runtime;

/** A failure the launcher reports to the user in one message, with exit status {@link #status()}. */
final class ElmException extends Exception {

    private static final long serialVersionUID = 1L;
    private final int status;

    ElmException(String message) {
        this(message, 1, null);
    }

    ElmException(String message, int status, Throwable cause) {
        super(message, cause);
        this.status = status;
    }

    /** The exit status the launcher ends with: 2 for bad usage, 124 for a timeout, 1 otherwise. */
    int status() {
        return status;
    }
}

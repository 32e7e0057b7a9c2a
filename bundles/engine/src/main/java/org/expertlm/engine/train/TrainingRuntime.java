package org.expertlm.engine.train;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.CancellationException;
import java.util.function.BooleanSupplier;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;

/** How a training run reads its settings and is cancelled. */
final class TrainingRuntime {

    private TrainingRuntime() {
    }

    /**
     * Reads a training configuration (a JSON file of one settings record); a missing, unknown or
     * mistyped field is an error that names it and the configuration to compare with.
     */
    static <T> T readSettings(Path file, Class<T> type, String example) throws IOException {
        return readSettings(Files.readString(file), file.toString(), type, example);
    }

    /** As {@link #readSettings(Path, Class, String)}, from the configuration's text; {@code source} names it. */
    static <T> T readSettings(String json, String source, Class<T> type, String example) throws IOException {
        try {
            return new ObjectMapper().enable(DeserializationFeature.FAIL_ON_MISSING_CREATOR_PROPERTIES,
                    DeserializationFeature.FAIL_ON_NULL_FOR_PRIMITIVES).readValue(json, type);
        } catch (JsonProcessingException e) {
            throw new IOException(source + " is not a valid training configuration: " + e.getOriginalMessage()
                    + " (see " + example + " for every field)", e);
        }
    }

    /** Throws when the run was asked to stop; its caller has just written the checkpoint of {@code step}. */
    static void stopIfCancelled(BooleanSupplier cancelled, int step) {
        if (cancelled.getAsBoolean()) {
            throw new CancellationException("training cancelled after step " + step
                    + "; a checkpoint was written: run the same command again to resume");
        }
    }

    /** Throws when the run was asked to stop before its first step (while it encodes its inputs). */
    static void stopBeforeStarting(BooleanSupplier cancelled) {
        if (cancelled.getAsBoolean()) {
            throw new CancellationException("training cancelled before its first step; there is nothing to resume: "
                    + "run the same command again to start it");
        }
    }

    /** Throws when the run was asked to stop while it measures an epoch; its latest checkpoint stays. */
    static void stopDuringValidation(BooleanSupplier cancelled) {
        if (cancelled.getAsBoolean()) {
            throw new CancellationException("training cancelled while measuring an epoch; its latest checkpoint stays: "
                    + "run the same command again to resume from there");
        }
    }

}

package org.expertlm.console.internal;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectWriter;
import com.fasterxml.jackson.databind.json.JsonMapper;

/** The one JSON writer of the console: every {@code --json} prints exactly one document. */
final class Json {

    private static final ObjectWriter WRITER = JsonMapper.builder().build().writerWithDefaultPrettyPrinter();

    private Json() {
    }

    static String write(Object dto) {
        try {
            return WRITER.writeValueAsString(dto);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("cannot write " + dto.getClass().getSimpleName() + " as JSON: " + e.getMessage(), e);
        }
    }
}

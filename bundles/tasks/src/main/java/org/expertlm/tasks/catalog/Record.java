package org.expertlm.tasks.catalog;

import java.util.List;
import java.util.Map;

/**
 * One unrendered example: its stable id and its fields (strings, or lists of strings), which
 * templates refer to by name.
 */
public record Record(String id, Map<String, Object> fields) {

    public Record {
        fields = Map.copyOf(fields);
    }

    public String text(String field) {
        Object value = fields.get(field);
        if (value == null) {
            throw new IllegalArgumentException("record " + id + " has no field '" + field + "'; it has " + fields.keySet());
        }
        return value instanceof List<?> list ? String.join(" ", list.stream().map(String::valueOf).toList()) : value.toString();
    }

    @SuppressWarnings("unchecked")
    public List<String> list(String field) {
        Object value = fields.get(field);
        if (!(value instanceof List<?>)) {
            throw new IllegalArgumentException("record " + id + ": field '" + field + "' is not a list");
        }
        return (List<String>) value;
    }
}

package org.expertlm.platform.internal;

import java.io.File;
import java.io.IOException;
import java.lang.reflect.Array;
import java.util.ArrayList;
import java.util.Hashtable;
import java.util.Iterator;
import java.util.List;
import java.util.Map;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

/**
 * One {@code .cfg.json} file read into Config Admin properties.
 *
 * <p>The file is a JSON object of property names to values. Strings, booleans, whole numbers
 * ({@code Long}), decimals ({@code Double}) and arrays of one of these kinds are accepted; nested
 * objects and {@code null} are not, since Config Admin cannot hold them. The file name gives the
 * PID like FileInstall's {@code .cfg} files: {@code pid.cfg.json} for a singleton configuration,
 * {@code factoryPid-name.cfg.json} for a named factory configuration.
 */
record JsonConfiguration(String pid, String factoryPid, String name, Hashtable<String, Object> properties) {

    static final String SUFFIX = ".cfg.json";
    private static final ObjectMapper JSON = new ObjectMapper();

    /** Reads the file; every error names the file, what was expected and what was found. */
    static JsonConfiguration read(File file) throws IOException {
        String base = file.getName().substring(0, file.getName().length() - SUFFIX.length());
        if (base.isEmpty()) {
            throw new IOException(file + ": the file name gives no PID; expected <pid>.cfg.json or <factoryPid>-<name>.cfg.json");
        }
        JsonNode root;
        try {
            root = JSON.readTree(file);
        } catch (JsonProcessingException e) {
            throw new IOException(file + ": not valid JSON (" + e.getOriginalMessage() + " at line "
                    + e.getLocation().getLineNr() + ", column " + e.getLocation().getColumnNr()
                    + "); expected one JSON object of property names to values. The configuration in force is kept.", e);
        }
        if (root == null || !root.isObject()) {
            throw new IOException(file + ": expected one JSON object of property names to values, found "
                    + (root == null ? "an empty file" : root.getNodeType().toString().toLowerCase()));
        }
        Hashtable<String, Object> properties = new Hashtable<>();
        for (Iterator<Map.Entry<String, JsonNode>> it = root.fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> field = it.next();
            properties.put(field.getKey(), toValue(file, field.getKey(), field.getValue()));
        }
        int dash = base.indexOf('-');
        return dash > 0
                ? new JsonConfiguration(null, base.substring(0, dash), base.substring(dash + 1), properties)
                : new JsonConfiguration(base, null, null, properties);
    }

    private static Object toValue(File file, String key, JsonNode node) throws IOException {
        if (node.isArray()) {
            List<Object> items = new ArrayList<>();
            for (JsonNode item : node) {
                if (item.isArray()) {
                    throw badValue(file, key, "a nested array");
                }
                items.add(toValue(file, key, item));
            }
            return toTypedArray(file, key, items);
        }
        if (node.isTextual()) {
            return node.textValue();
        }
        if (node.isBoolean()) {
            return node.booleanValue();
        }
        if (node.isIntegralNumber() && node.canConvertToLong()) {
            return node.longValue();
        }
        if (node.isNumber()) {
            return node.doubleValue();
        }
        throw badValue(file, key, node.isNull() ? "null" : "a " + node.getNodeType().toString().toLowerCase());
    }

    private static Object toTypedArray(File file, String key, List<Object> items) throws IOException {
        Class<?> type = items.isEmpty() ? String.class : items.get(0).getClass();
        for (Object item : items) {
            if (item.getClass() != type) {
                throw badValue(file, key, "an array mixing " + type.getSimpleName() + " and " + item.getClass().getSimpleName());
            }
        }
        Object array = Array.newInstance(type, items.size());
        for (int i = 0; i < items.size(); i++) {
            Array.set(array, i, items.get(i));
        }
        return array;
    }

    private static IOException badValue(File file, String key, String found) {
        return new IOException(file + ": property '" + key + "' is " + found
                + "; expected a string, boolean, number, or an array of one of these kinds");
    }
}

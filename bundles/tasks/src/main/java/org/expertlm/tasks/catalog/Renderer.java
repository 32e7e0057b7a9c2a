package org.expertlm.tasks.catalog;

import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import org.expertlm.api.Split;
import org.expertlm.api.TaskExample;

/**
 * Renders a record through a template. Placeholders:
 * <ul>
 * <li>{@code {field}} — the field's text;</li>
 * <li>{@code {field|map:a=x;b=y}} — the field's value mapped (a value missing from the map is an error);</li>
 * <li>{@code {field|lettered}} — a list field as lines {@code A. first}, {@code B. second}, …;</li>
 * <li>{@code {field|letter:list}} — the letter of the field's value within a list field.</li>
 * </ul>
 */
public final class Renderer {

    private static final Pattern PLACEHOLDER = Pattern.compile("\\{([a-zA-Z0-9_]+)(?:\\|([a-z]+)(?::([^}]*))?)?}");

    private Renderer() {
    }

    public static TaskExample render(String dataset, TemplateDefinition template, Record record, Split split) {
        String input = fill(template.input(), record);
        String target = fill(template.target(), record);
        List<String> choices = choices(template, record);
        if (!choices.isEmpty() && !choices.contains(target)) {
            throw new IllegalArgumentException("template " + dataset + "/" + template.name() + " renders target '" + target
                    + "' for record " + record.id() + ", which is not among its choices " + choices);
        }
        return new TaskExample(dataset + "/" + template.name(), record.id(), split, input, target, choices);
    }

    static List<String> choices(TemplateDefinition template, Record record) {
        if (template.choicesFrom() == null) {
            return template.choices();
        }
        if (template.choicesFrom().startsWith("letters:")) {
            int n = record.list(template.choicesFrom().substring("letters:".length())).size();
            List<String> letters = new ArrayList<>();
            for (int i = 0; i < n; i++) {
                letters.add(String.valueOf((char) ('A' + i)));
            }
            return letters;
        }
        return record.list(template.choicesFrom());
    }

    static String fill(String text, Record record) {
        Matcher m = PLACEHOLDER.matcher(text);
        StringBuilder out = new StringBuilder();
        while (m.find()) {
            m.appendReplacement(out, Matcher.quoteReplacement(value(m.group(1), m.group(2), m.group(3), record)));
        }
        m.appendTail(out);
        return out.toString();
    }

    private static String value(String field, String filter, String argument, Record record) {
        if (filter == null) {
            return record.text(field);
        }
        switch (filter) {
            case "map" -> {
                String value = record.text(field);
                for (String pair : argument.split(";")) {
                    String[] kv = pair.split("=", 2);
                    if (kv.length == 2 && kv[0].equals(value)) {
                        return kv[1];
                    }
                }
                throw new IllegalArgumentException("record " + record.id() + ": value '" + value + "' of '" + field
                        + "' is not in the map '" + argument + "'");
            }
            case "lettered" -> {
                List<String> items = record.list(field);
                StringBuilder lines = new StringBuilder();
                for (int i = 0; i < items.size(); i++) {
                    lines.append(i == 0 ? "" : "\n").append((char) ('A' + i)).append(". ").append(items.get(i));
                }
                return lines.toString();
            }
            case "letter" -> {
                int index = record.list(argument).indexOf(record.text(field));
                if (index < 0) {
                    throw new IllegalArgumentException("record " + record.id() + ": '" + record.text(field)
                            + "' is not in its list '" + argument + "'");
                }
                return String.valueOf((char) ('A' + index));
            }
            default -> throw new IllegalArgumentException("unknown placeholder filter '" + filter
                    + "'; expected map, lettered or letter");
        }
    }
}

package org.expertlm.tasks.parse;

import java.io.InputStream;
import java.util.ArrayList;
import java.util.List;

import javax.xml.stream.XMLInputFactory;
import javax.xml.stream.XMLStreamConstants;
import javax.xml.stream.XMLStreamException;
import javax.xml.stream.XMLStreamReader;

/**
 * The {@code <example>} sentences of a LanguageTool {@code grammar.xml}. An incorrect example
 * carries a {@code <marker>} around the error and usually a {@code correction} (alternatives split
 * by {@code |}); a correct one carries neither. Examples of type {@code triggers_error} (correct
 * sentences the rule wrongly flags) are left out, as are examples that are neither clearly.
 */
public final class GrammarExamples {

    /** One example sentence, with where its error is. */
    public record Example(String category, String sentence, boolean correct, int markerStart, int markerEnd,
            List<String> corrections) {

        /** The sentence with its marked error replaced by the first correction, or null when it has none. */
        public String corrected() {
            if (correct || corrections.isEmpty() || markerStart < 0) {
                return null;
            }
            return sentence.substring(0, markerStart) + corrections.get(0) + sentence.substring(markerEnd);
        }
    }

    private GrammarExamples() {
    }

    public static List<Example> parse(InputStream xml, Skips skips) throws XMLStreamException {
        XMLInputFactory factory = XMLInputFactory.newFactory();
        factory.setProperty(XMLInputFactory.IS_SUPPORTING_EXTERNAL_ENTITIES, false);
        factory.setProperty(XMLInputFactory.IS_REPLACING_ENTITY_REFERENCES, true);
        XMLStreamReader in = factory.createXMLStreamReader(xml);
        List<Example> examples = new ArrayList<>();
        String category = "";
        while (in.hasNext()) {
            if (in.next() != XMLStreamConstants.START_ELEMENT) {
                continue;
            }
            if (in.getLocalName().equals("category")) {
                category = attribute(in, "name");
            } else if (in.getLocalName().equals("example")) {
                String type = attribute(in, "type");
                String correction = in.getAttributeValue(null, "correction");
                readExample(in, category, type, correction, skips, examples);
            }
        }
        return examples;
    }

    private static void readExample(XMLStreamReader in, String category, String type, String correction, Skips skips,
            List<Example> out) throws XMLStreamException {
        StringBuilder text = new StringBuilder();
        int start = -1;
        int end = -1;
        int depth = 1;
        while (depth > 0 && in.hasNext()) {
            int event = in.next();
            if (event == XMLStreamConstants.CHARACTERS || event == XMLStreamConstants.CDATA
                    || event == XMLStreamConstants.SPACE || event == XMLStreamConstants.ENTITY_REFERENCE) {
                text.append(in.getText());
            } else if (event == XMLStreamConstants.START_ELEMENT) {
                depth++;
                if (in.getLocalName().equals("marker")) {
                    start = text.length();
                }
            } else if (event == XMLStreamConstants.END_ELEMENT) {
                depth--;
                if (in.getLocalName().equals("marker")) {
                    end = text.length();
                }
            }
        }
        String sentence = text.toString();
        String trimmed = sentence.strip();
        if (trimmed.isEmpty()) {
            skips.skip("empty example");
            return;
        }
        if (type.equals("triggers_error")) {
            return;
        }
        int lead = sentence.indexOf(trimmed);
        boolean incorrect = start >= 0 || correction != null || type.equals("incorrect");
        List<String> corrections = correction == null || correction.isEmpty() ? List.of() : List.of(correction.split("\\|"));
        if (incorrect && (start < 0 || end < start)) {
            skips.skip("incorrect example without a marker");
            return;
        }
        out.add(new Example(category, trimmed, !incorrect,
                incorrect ? Math.max(0, start - lead) : -1, incorrect ? Math.min(trimmed.length(), end - lead) : -1, corrections));
    }

    private static String attribute(XMLStreamReader in, String name) {
        String value = in.getAttributeValue(null, name);
        return value == null ? "" : value;
    }
}

package org.expertlm.tasks.parse;

import java.util.ArrayList;
import java.util.List;

/**
 * RFC 4180 CSV: fields separated by commas, optionally quoted, {@code ""} for a quote inside quotes,
 * line breaks allowed inside quotes. A malformed record (text after a closing quote, a quote left
 * open at the end) is skipped and counted; the parser resynchronises at the next line.
 */
public final class Csv {

    public static final String MALFORMED = "malformed CSV line";

    private Csv() {
    }

    public static List<List<String>> parse(String text, Skips skips) {
        List<List<String>> rows = new ArrayList<>();
        String body = text.startsWith("\uFEFF") ? text.substring(1) : text;
        int i = 0;
        int n = body.length();
        while (i < n) {
            List<String> row = new ArrayList<>();
            StringBuilder field = new StringBuilder();
            boolean bad = false;
            boolean endOfRow = false;
            while (i < n && !endOfRow) {
                char c = body.charAt(i);
                if (c == '"' && field.length() == 0) {
                    int close = i + 1;
                    StringBuilder quoted = new StringBuilder();
                    boolean closed = false;
                    while (close < n) {
                        char q = body.charAt(close);
                        if (q == '"' && close + 1 < n && body.charAt(close + 1) == '"') {
                            quoted.append('"');
                            close += 2;
                        } else if (q == '"') {
                            closed = true;
                            close++;
                            break;
                        } else {
                            quoted.append(q);
                            close++;
                        }
                    }
                    if (!closed) {
                        bad = true;
                        i = n;
                        break;
                    }
                    i = close;
                    if (i < n && body.charAt(i) != ',' && body.charAt(i) != '\n' && body.charAt(i) != '\r') {
                        bad = true;
                        i = body.indexOf('\n', i) < 0 ? n : body.indexOf('\n', i) + 1;
                        break;
                    }
                    field.append(quoted);
                    continue;
                }
                if (c == ',') {
                    row.add(field.toString());
                    field.setLength(0);
                } else if (c == '\n' || c == '\r') {
                    endOfRow = true;
                    if (c == '\r' && i + 1 < n && body.charAt(i + 1) == '\n') {
                        i++;
                    }
                } else {
                    field.append(c);
                }
                i++;
            }
            if (bad) {
                skips.skip(MALFORMED);
                continue;
            }
            row.add(field.toString());
            if (!(row.size() == 1 && row.get(0).isEmpty())) {
                rows.add(row);
            }
        }
        return rows;
    }
}

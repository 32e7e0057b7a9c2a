package org.expertlm.tasks.parse;

import java.nio.charset.Charset;
import java.nio.charset.IllegalCharsetNameException;
import java.nio.charset.StandardCharsets;
import java.nio.charset.UnsupportedCharsetException;
import java.util.ArrayList;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A raw RFC 822 / MIME mail reduced to what the tasks need: its headers and its readable text.
 *
 * <p>Folded headers are unfolded, RFC 2047 encoded words decoded, multipart mails searched for their
 * first text part, quoted-printable and base64 bodies decoded in their declared charset, HTML reduced
 * to text. A mail with no end of headers is truncated, one in a charset Java does not know cannot be
 * read: both are skipped and counted.
 */
public record Mail(Map<String, String> headers, String body) {

    public static final String TRUNCATED = "truncated mail";
    public static final String UNKNOWN_ENCODING = "unknown encoding";
    private static final Pattern ENCODED_WORD = Pattern.compile("=\\?([^?]+)\\?([BbQq])\\?([^?]*)\\?=");
    private static final Pattern PARAM = Pattern.compile(";\\s*([A-Za-z-]+)\\s*=\\s*(\"([^\"]*)\"|[^;\\s]+)");

    /** The header's value (names compare case-insensitively), decoded; empty when absent. */
    public String header(String name) {
        return headers.getOrDefault(name.toLowerCase(Locale.ROOT), "");
    }

    /** Parses {@code raw}; empty (and counted in {@code skips}) when the mail cannot be read. */
    public static Optional<Mail> parse(String raw, Skips skips) {
        try {
            Part part = Part.of(raw.replace("\r\n", "\n"));
            Map<String, String> headers = new LinkedHashMap<>();
            part.headers.forEach((k, v) -> headers.put(k, decodeWords(v)));
            return Optional.of(new Mail(Map.copyOf(headers), part.text()));
        } catch (Unreadable e) {
            skips.skip(e.reason);
            return Optional.empty();
        }
    }

    /** Decodes {@code =?charset?B|Q?...?=} words; an unknown charset is refused. */
    static String decodeWords(String value) {
        Matcher m = ENCODED_WORD.matcher(value);
        StringBuilder out = new StringBuilder();
        int last = 0;
        while (m.find()) {
            String between = value.substring(last, m.start());
            out.append(last > 0 && between.isBlank() ? "" : between);
            Charset charset = charset(m.group(1));
            byte[] bytes = m.group(2).equalsIgnoreCase("B")
                    ? decodeBase64(m.group(3))
                    : quotedPrintable(m.group(3).replace('_', ' '));
            out.append(new String(bytes, charset));
            last = m.end();
        }
        return out.append(value.substring(last)).toString().strip();
    }

    private static byte[] decodeBase64(String text) {
        try {
            return Base64.getMimeDecoder().decode(text);
        } catch (IllegalArgumentException e) {
            throw new Unreadable("undecodable base64");
        }
    }

    static byte[] quotedPrintable(String text) {
        java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream();
        for (int i = 0; i < text.length(); i++) {
            char c = text.charAt(i);
            if (c == '=' && i + 1 < text.length() && text.charAt(i + 1) == '\n') {
                i++;
            } else if (c == '=' && i + 2 < text.length() && isHex(text.charAt(i + 1)) && isHex(text.charAt(i + 2))) {
                out.write(Integer.parseInt(text.substring(i + 1, i + 3), 16));
                i += 2;
            } else {
                byte[] bytes = String.valueOf(c).getBytes(StandardCharsets.ISO_8859_1);
                out.write(bytes, 0, bytes.length);
            }
        }
        return out.toByteArray();
    }

    private static boolean isHex(char c) {
        return Character.digit(c, 16) >= 0;
    }

    static Charset charset(String name) {
        try {
            return Charset.forName(name.strip());
        } catch (IllegalCharsetNameException | UnsupportedCharsetException e) {
            throw new Unreadable(UNKNOWN_ENCODING);
        }
    }

    /** One MIME entity: headers and raw body, as ISO-8859-1 characters standing for bytes. */
    private record Part(Map<String, String> headers, String rawBody) {

        static Part of(String raw) {
            int end = raw.indexOf("\n\n");
            if (end < 0) {
                throw new Unreadable(TRUNCATED);
            }
            Map<String, String> headers = new LinkedHashMap<>();
            String name = null;
            for (String line : raw.substring(0, end).split("\n")) {
                if ((line.startsWith(" ") || line.startsWith("\t")) && name != null) {
                    headers.merge(name, " " + line.strip(), String::concat);
                } else if (line.indexOf(':') > 0) {
                    name = line.substring(0, line.indexOf(':')).strip().toLowerCase(Locale.ROOT);
                    String value = line.substring(line.indexOf(':') + 1).strip();
                    headers.putIfAbsent(name, value);
                }
            }
            return new Part(headers, raw.substring(end + 2));
        }

        String type() {
            String value = headers.getOrDefault("content-type", "text/plain");
            return value.split(";", 2)[0].strip().toLowerCase(Locale.ROOT);
        }

        String param(String key) {
            Matcher m = PARAM.matcher(headers.getOrDefault("content-type", ""));
            while (m.find()) {
                if (m.group(1).equalsIgnoreCase(key)) {
                    return m.group(3) != null ? m.group(3) : m.group(2);
                }
            }
            return null;
        }

        /** The readable text of this entity: the first text part of a multipart, decoded. */
        String text() {
            if (type().startsWith("multipart/")) {
                String boundary = param("boundary");
                if (boundary == null) {
                    throw new Unreadable("multipart mail without boundary");
                }
                List<Part> parts = new ArrayList<>();
                String[] pieces = rawBody.split("\n--" + Pattern.quote(boundary));
                for (int i = 1; i < pieces.length; i++) {
                    String piece = pieces[i];
                    if (piece.startsWith("--")) {
                        break;
                    }
                    int nl = piece.indexOf('\n');
                    if (nl >= 0 && piece.substring(nl + 1).contains("\n\n")) {
                        parts.add(Part.of(piece.substring(nl + 1)));
                    } else if (nl >= 0) {
                        parts.add(new Part(Map.of(), piece.substring(nl + 1)));
                    }
                }
                for (String wanted : List.of("text/plain", "text/html", "multipart/")) {
                    for (Part p : parts) {
                        if (p.type().startsWith(wanted)) {
                            return p.text();
                        }
                    }
                }
                throw new Unreadable("no text part");
            }
            if (!type().startsWith("text/")) {
                throw new Unreadable("no text part");
            }
            String encoding = headers.getOrDefault("content-transfer-encoding", "7bit").strip().toLowerCase(Locale.ROOT);
            byte[] bytes = switch (encoding) {
                case "quoted-printable" -> quotedPrintable(rawBody);
                case "base64" -> decodeBase64(rawBody.replaceAll("\\s", ""));
                default -> rawBody.getBytes(StandardCharsets.ISO_8859_1);
            };
            String charsetName = param("charset");
            Charset charset = charsetName == null ? StandardCharsets.ISO_8859_1 : charset(charsetName);
            String text = new String(bytes, charset);
            return type().equals("text/html") ? Html.toText(text) : text;
        }
    }

    /** A mail that cannot be read, with the reason it is counted under. */
    private static final class Unreadable extends RuntimeException {
        private static final long serialVersionUID = 1L;
        final String reason;

        Unreadable(String reason) {
            super(reason, null, false, false);
            this.reason = reason;
        }
    }
}

package org.expertlm.tasks.parse;

import java.util.regex.Pattern;

/** Just enough HTML-to-text for mail bodies: scripts and styles dropped, tags removed, common entities decoded. */
final class Html {

    private static final Pattern INVISIBLE = Pattern.compile("(?is)<(script|style)[^>]*>.*?</\\1>");
    private static final Pattern BREAK = Pattern.compile("(?i)<(br|p|div|tr|li)[^>]*>");
    private static final Pattern TAG = Pattern.compile("<[^>]*>");

    private Html() {
    }

    static String toText(String html) {
        String text = INVISIBLE.matcher(html).replaceAll(" ");
        text = BREAK.matcher(text).replaceAll("\n");
        text = TAG.matcher(text).replaceAll(" ");
        return text.replace("&nbsp;", " ").replace("&lt;", "<").replace("&gt;", ">")
                .replace("&quot;", "\"").replace("&#39;", "'").replace("&amp;", "&");
    }
}

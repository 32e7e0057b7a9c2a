package org.expertlm.tasks.catalog.builders;

import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.function.BiConsumer;

import org.expertlm.tasks.catalog.BuildContext;
import org.expertlm.tasks.catalog.Record;
import org.expertlm.tasks.parse.JsonRecords;
import org.expertlm.tasks.parse.Mail;

/** Builders over the SpamAssassin corpus: spam or not, which mailing list, the subject line. */
final class MailBuilders {

    private static final String[] GROUPS = {"easy-ham-1", "easy-ham-2", "hard-ham-1", "spam-1", "spam-2"};

    private MailBuilders() {
    }

    /** Every readable mail: {@code text} (subject and body), {@code label} spam or ham. Options: maxChars. */
    static List<Record> spam(BuildContext c) throws IOException {
        int max = c.option("maxChars", 1000);
        List<Record> records = new ArrayList<>();
        forEachMail(c, (group, mail) -> {
            String text = "Subject: " + mail.header("subject") + "\n" + BuildContext.truncate(mail.body(), max);
            records.add(new Record(BuildContext.contentId(text), Map.of("text", text,
                    "label", group.startsWith("spam") ? "spam" : "ham")));
        });
        return records;
    }

    /** Ham mails of the lists named: {@code text}, {@code list}. Options: lists (List-Id part → name), maxChars. */
    static List<Record> mailingList(BuildContext c) throws IOException {
        Map<String, String> lists = c.mapOption("lists");
        int max = c.option("maxChars", 1000);
        List<Record> records = new ArrayList<>();
        forEachMail(c, (group, mail) -> {
            String listId = mail.header("list-id").toLowerCase(Locale.ROOT);
            if (group.startsWith("spam") || listId.isEmpty()) {
                return;
            }
            lists.entrySet().stream().filter(e -> listId.contains(e.getKey())).findFirst().ifPresent(e -> {
                String text = BuildContext.truncate(withoutQuotes(mail.body()), max);
                if (text.length() > 40) {
                    records.add(new Record(BuildContext.contentId(mail.header("subject") + text),
                            Map.of("text", text, "list", e.getValue())));
                }
            });
        });
        return records;
    }

    /** Ham mails with a usable subject: {@code body}, {@code subject} (reply marks and [list] tags removed). */
    static List<Record> subject(BuildContext c) throws IOException {
        int max = c.option("maxChars", 1000);
        List<Record> records = new ArrayList<>();
        forEachMail(c, (group, mail) -> {
            String subject = cleanSubject(mail.header("subject"));
            String body = BuildContext.truncate(withoutQuotes(mail.body()), max);
            if (group.startsWith("spam") || subject.split(" ").length < 2 || body.length() < 80) {
                return;
            }
            records.add(new Record(BuildContext.contentId(subject + body), Map.of("body", body, "subject", subject)));
        });
        return records;
    }

    static String cleanSubject(String subject) {
        String s = subject;
        String before;
        do {
            before = s;
            s = s.replaceFirst("(?i)^\\s*(re|fwd?|aw)\\s*(\\[\\d+\\])?\\s*:\\s*", "").replaceFirst("^\\s*\\[[^\\]]*\\]\\s*", "");
        } while (!s.equals(before));
        return s.strip();
    }

    /** The body without quoted lines ({@code >}) and without the signature. */
    static String withoutQuotes(String body) {
        StringBuilder out = new StringBuilder();
        for (String line : body.split("\n")) {
            if (line.equals("-- ") || line.startsWith("_______________")) {
                break;
            }
            if (!line.startsWith(">")) {
                out.append(line).append('\n');
            }
        }
        return out.toString();
    }

    private static void forEachMail(BuildContext c, BiConsumer<String, Mail> action) throws IOException {
        for (String group : GROUPS) {
            try (DirectoryStream<Path> files = Files.newDirectoryStream(c.source("spam-assassin", "package/data/" + group), "*.json")) {
                for (Path file : files) {
                    JsonRecords.mail(c.read(file), c.skips())
                            .flatMap(raw -> Mail.parse(raw.raw(), c.skips()))
                            .ifPresent(mail -> action.accept(group, mail));
                }
            }
        }
    }
}

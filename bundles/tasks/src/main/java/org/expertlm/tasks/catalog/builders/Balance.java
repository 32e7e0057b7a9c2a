package org.expertlm.tasks.catalog.builders;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;

import org.expertlm.tasks.catalog.BuildContext;
import org.expertlm.tasks.catalog.Record;

/** Evens out label groups: each keeps as many records as the smallest, chosen in a fixed hash order. */
final class Balance {

    private Balance() {
    }

    static List<Record> evenly(List<List<Record>> groups) {
        int n = groups.stream().mapToInt(List::size).min().orElse(0);
        List<Record> out = new ArrayList<>();
        for (List<Record> group : groups) {
            List<Record> sorted = new ArrayList<>(group);
            sorted.sort(Comparator.comparing(r -> BuildContext.contentId(r.id())));
            out.addAll(sorted.subList(0, n));
        }
        return out;
    }
}

package org.expertlm.tasks.catalog;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.EnumMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

import org.expertlm.api.Split;

/**
 * Fixed splits: a record's split is a function of its id, the dataset (or the one whose splits it shares) and the seed
 * alone, so it never
 * changes when records are added, removed or reordered. Within a split, records are kept in hash
 * order up to the cap, which is also fixed.
 */
public final class Splitter {

    private Splitter() {
    }

    /** A hash of the record id under the dataset's seed, uniform over the longs. */
    static long hash(DatasetDefinition d, String id) {
        try {
            byte[] digest = MessageDigest.getInstance("SHA-256")
                    .digest((d.seed() + "\u0000" + d.splitsOf() + "\u0000" + id).getBytes(StandardCharsets.UTF_8));
            return ByteBuffer.wrap(digest).getLong();
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("this JVM has no SHA-256", e);
        }
    }

    /** The split of a record id. */
    public static Split splitOf(DatasetDefinition d, String id) {
        int bucket = (int) Long.remainderUnsigned(hash(d, id), 100);
        int train = d.percent().get(Split.TRAIN);
        int validation = d.percent().get(Split.VALIDATION);
        return bucket < train ? Split.TRAIN : bucket < train + validation ? Split.VALIDATION : Split.TEST;
    }

    /** The records of each split, capped, in their fixed order. Duplicate ids keep the first record. */
    public static Map<Split, List<Record>> split(DatasetDefinition d, List<Record> records) {
        Map<Split, List<Record>> out = new EnumMap<>(Split.class);
        for (Split s : Split.values()) {
            out.put(s, new ArrayList<>());
        }
        Set<String> seen = new HashSet<>();
        for (Record r : records) {
            if (seen.add(r.id())) {
                out.get(splitOf(d, r.id())).add(r);
            }
        }
        for (Split s : Split.values()) {
            List<Record> list = out.get(s);
            list.sort(Comparator.comparingLong((Record r) -> hash(d, r.id())).thenComparing(Record::id));
            if (list.size() > d.cap().get(s)) {
                list.subList(d.cap().get(s), list.size()).clear();
            }
        }
        return out;
    }
}

package org.expertlm.tasks.catalog;

import java.io.IOException;
import java.util.List;

/** Turns a dataset's fetched sources into records; bad source records are skipped and counted. */
@FunctionalInterface
public interface Builder {

    List<Record> build(BuildContext context) throws IOException;
}

package org.expertlm.tasks.internal;

import java.nio.file.Path;
import java.util.List;

import org.expertlm.api.TaskCatalog;
import org.expertlm.tasks.catalog.DatasetDefinition;

/** Lets tests outside this package make a catalog over a cache of their own, without OSGi. */
public final class TaskCatalogTestAccess {

    private TaskCatalogTestAccess() {
    }

    public static TaskCatalog catalog(Path cache, List<DatasetDefinition> definitions) {
        TaskCatalogService service = new TaskCatalogService();
        service.activate(cache, definitions);
        return service;
    }
}

/**
 * The task catalog as data: dataset definitions and prompt templates (JSON resources under
 * {@code org/expertlm/tasks/catalog/}), the builders that turn fetched sources into records, fixed
 * splits, the record files in the data cache, and the template renderer.
 */
package org.expertlm.tasks.catalog;

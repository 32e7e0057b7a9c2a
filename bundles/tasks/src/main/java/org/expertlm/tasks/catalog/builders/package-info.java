/** The record builders, one class per source family; {@link org.expertlm.tasks.catalog.builders.Builders} names them. */
package org.expertlm.tasks.catalog.builders;

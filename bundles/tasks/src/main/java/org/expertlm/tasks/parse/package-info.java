/**
 * Parsers of the sources' own formats. Each reads what it is given and never throws on a bad
 * record: the record is skipped and counted in a {@link org.expertlm.tasks.parse.Skips} with its
 * reason, so that a damaged file costs only its damaged records.
 */
package org.expertlm.tasks.parse;

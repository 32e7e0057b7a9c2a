/**
 * The ELM launcher: embeds Apache Felix, installs the platform bundles, points FileInstall at the
 * deploy and configs folders, serves the console socket, and implements {@code elm start},
 * {@code elm exec} and {@code elm stop}. Plain Java on the class path, outside OSGi.
 */
package org.expertlm.runtime;

/**
 * The console socket's wire format, shared by the daemon (the console bundle) and the client (the
 * launcher's {@code elm exec} and {@code elm stop}). Plain Java only: the launcher loads this package
 * from the console jar on its class path, outside OSGi.
 */
package org.expertlm.console.wire;

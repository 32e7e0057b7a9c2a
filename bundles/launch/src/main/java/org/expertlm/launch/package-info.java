/**
 * What the launcher and the bundles both need, and nothing else: the console socket's wire format
 * ({@link org.expertlm.launch.ConsoleWire}), shared by the daemon (the console bundle) and the client
 * ({@code elm exec}, {@code elm stop}), and the SPI of the launcher's tools
 * ({@link org.expertlm.launch.LauncherTool}), through which {@code ./elm data …} runs code of the tasks
 * jar without the launcher importing any of its packages. Plain Java only: the launcher loads this
 * package from its class path, outside OSGi; in the container it is an exported package.
 */
@Export
@Version("1.0.0")
package org.expertlm.launch;

import org.osgi.annotation.bundle.Export;
import org.osgi.annotation.versioning.Version;

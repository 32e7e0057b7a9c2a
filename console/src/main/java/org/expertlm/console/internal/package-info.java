/**
 * Private implementation of the console: the {@code elm} Gogo commands, their text and JSON
 * renderings, and the daemon's console socket.
 */
package org.expertlm.console.internal;

/** The engine as OSGi services; ND4J is set up here, once, before anything touches it. */
package org.expertlm.engine.internal;

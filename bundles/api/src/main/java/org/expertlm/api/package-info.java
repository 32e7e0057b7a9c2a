/**
 * The public API of ELM: the services and value types that the platform's bundles share.
 *
 * <p>Only this package is exported; every implementation lives in a private package of its own
 * bundle. Types here never mention ND4J, Lucene or Jackson, so that a client of ELM depends on this
 * bundle alone. The package is semantically versioned: adding a method to a {@code ProviderType}
 * interface is a minor change, anything that breaks a consumer is a major one.
 */
@Export
@Version("1.9.0")
package org.expertlm.api;

import org.osgi.annotation.bundle.Export;
import org.osgi.annotation.versioning.Version;

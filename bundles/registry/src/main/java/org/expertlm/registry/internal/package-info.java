/**
 * Expert bundles: their layout, and the packager that writes them from the model store. Private: the
 * console and everything else reach it through {@code org.expertlm.api.ExpertPackager}.
 */
package org.expertlm.registry.internal;

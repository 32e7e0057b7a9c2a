/**
 * Private implementation of the container plumbing: nothing here is exported. Other bundles see
 * these components only through {@link org.expertlm.api.DeploymentMonitor} and the OSGi services
 * they register (a FileInstall {@code ArtifactInstaller} for {@code .cfg.json} files).
 */
package org.expertlm.platform.internal;

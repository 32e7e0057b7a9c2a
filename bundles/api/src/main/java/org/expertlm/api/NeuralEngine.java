package org.expertlm.api;

import org.osgi.annotation.versioning.ProviderType;

/** The neural engine itself: what it runs on and which models it has loaded. */
@ProviderType
public interface NeuralEngine {

    EngineStatus status();
}

package org.expertlm.api;

/**
 * The framework properties through which the launcher tells the bundles where things are. Each is
 * an absolute path (the socket property is absent when no console socket is served).
 */
public final class ContainerProperties {

    /** The ELM home: deploy/, configs/, work/ and data/ default to folders in it. */
    public static final String HOME = "elm.home";
    /** Framework storage, logs, the native cache and the console socket live here. */
    public static final String WORK_DIR = "elm.work.dir";
    /** The hot-deploy folder. */
    public static final String DEPLOY_DIR = "elm.deploy.dir";
    /** The folder of Config Admin files. */
    public static final String CONFIGS_DIR = "elm.configs.dir";
    /** The data cache that {@code elm data fetch} fills. */
    public static final String DATA_DIR = "elm.data.dir";
    /** The distribution's models/ folder: what the build ships (the sentence encoder, the default base model); rebuilt by mvn install. */
    public static final String MODELS_DIR = "elm.models.dir";
    /**
     * The folder of models trained here ({@code base/}, {@code experts/}), outside the build's output so
     * that a rebuild never deletes them.
     */
    public static final String USER_MODELS_DIR = "elm.user.models.dir";
    /** The Unix socket the console is served on. */
    public static final String CONSOLE_SOCKET = "elm.console.socket";

    private ContainerProperties() {
    }
}

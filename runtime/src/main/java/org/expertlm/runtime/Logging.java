package org.expertlm.runtime;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import org.slf4j.bridge.SLF4JBridgeHandler;

/**
 * Sets up the one log before anything logs: Logback reads {@code logback.xml} from the configs
 * folder (falling back to the distribution's copy); java.util.logging is bridged into it.
 */
final class Logging {

    private Logging() {
    }

    static void init(Settings settings) throws ElmException {
        Path config = null;
        for (Path candidate : List.of(settings.configs().resolve("logback.xml"),
                settings.bundles().resolveSibling("configs").resolve("logback.xml"))) {
            if (Files.isRegularFile(candidate)) {
                config = candidate;
                break;
            }
        }
        if (config == null) {
            throw new ElmException("no logging configuration: expected logback.xml in " + settings.configs()
                    + " or in the distribution's configs/ folder; copy configs/logback.xml from the ELM sources");
        }
        System.setProperty("elm.work.dir", settings.work().toString());
        System.setProperty("elm.log.dir", settings.logs().toString());
        String level = System.getenv("ELM_LOG_LEVEL");
        System.setProperty("elm.console.log.level", level == null || level.isBlank() ? "WARN" : level);
        System.setProperty("logback.configurationFile", config.toString());
        SLF4JBridgeHandler.removeHandlersForRootLogger();
        SLF4JBridgeHandler.install();
    }
}

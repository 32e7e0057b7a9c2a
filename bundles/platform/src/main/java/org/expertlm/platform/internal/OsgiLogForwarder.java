package org.expertlm.platform.internal;

import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Reference;
import org.osgi.service.component.annotations.ReferenceCardinality;
import org.osgi.service.component.annotations.ReferencePolicy;
import org.osgi.service.log.LogEntry;
import org.osgi.service.log.LogListener;
import org.osgi.service.log.LogReaderService;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Forwards the OSGi Log Service's entries (SCR, Config Admin, FileInstall, bundle events) to SLF4J,
 * so that the container has exactly one log, configured in one place by the launcher.
 */
@Component(immediate = true)
public final class OsgiLogForwarder implements LogListener {

    @Reference(cardinality = ReferenceCardinality.MULTIPLE, policy = ReferencePolicy.DYNAMIC)
    void addLogReader(LogReaderService reader) {
        reader.addLogListener(this);
    }

    void removeLogReader(LogReaderService reader) {
        reader.removeLogListener(this);
    }

    @Override
    public void logged(LogEntry entry) {
        String bundle = entry.getBundle() == null ? "framework" : entry.getBundle().getSymbolicName();
        Logger log = LoggerFactory.getLogger("osgi." + bundle);
        String message = entry.getMessage();
        Throwable error = entry.getException();
        if (entry.getLoggerName() != null && entry.getLoggerName().startsWith("Events.")) {
            log.debug("{}", message); // the framework's bundle and service events: detail, not news
            return;
        }
        switch (entry.getLogLevel()) {
            case AUDIT:
            case ERROR:
                log.error(message, error);
                break;
            case WARN:
                log.warn(message, error);
                break;
            case INFO:
                log.info(message, error);
                break;
            case DEBUG:
                log.debug(message, error);
                break;
            default:
                log.trace(message, error);
        }
    }
}

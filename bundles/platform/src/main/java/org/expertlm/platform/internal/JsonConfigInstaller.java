package org.expertlm.platform.internal;

import java.io.File;
import java.io.IOException;
import java.util.Arrays;
import java.util.Dictionary;
import java.util.Enumeration;
import java.util.Hashtable;

import org.apache.felix.fileinstall.ArtifactInstaller;
import org.osgi.framework.Constants;
import org.osgi.framework.InvalidSyntaxException;
import org.osgi.service.cm.Configuration;
import org.osgi.service.cm.ConfigurationAdmin;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Reference;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Teaches FileInstall the {@code .cfg.json} format (see {@link JsonConfiguration}): a new or changed
 * file updates its configuration in Config Admin, a deleted one deletes it. Like FileInstall's own
 * {@code .cfg} support, each configuration remembers its file in {@value #FILENAME}.
 */
@Component(service = ArtifactInstaller.class)
public final class JsonConfigInstaller implements ArtifactInstaller {

    /** FileInstall's property that ties a configuration to the file it came from. */
    static final String FILENAME = "felix.fileinstall.filename";
    private static final Logger LOG = LoggerFactory.getLogger(JsonConfigInstaller.class);

    @Reference
    private ConfigurationAdmin configurationAdmin;

    @Override
    public boolean canHandle(File artifact) {
        return artifact.getName().endsWith(JsonConfiguration.SUFFIX);
    }

    @Override
    public void install(File artifact) throws Exception {
        update(artifact);
    }

    @Override
    public void update(File artifact) throws Exception {
        JsonConfiguration json;
        try {
            json = JsonConfiguration.read(artifact);
        } catch (IOException e) {
            LOG.error(e.getMessage());
            throw e;
        }
        Configuration configuration = find(artifact);
        if (configuration == null) {
            configuration = json.pid() != null
                    ? configurationAdmin.getConfiguration(json.pid(), "?")
                    : configurationAdmin.getFactoryConfiguration(json.factoryPid(), json.name(), "?");
        }
        if (sameProperties(configuration.getProperties(), json.properties())) {
            return;
        }
        Hashtable<String, Object> properties = json.properties();
        properties.put(FILENAME, key(artifact));
        configuration.update(properties);
        LOG.info("Configuration {} updated from {}", configuration.getPid(), artifact);
    }

    @Override
    public void uninstall(File artifact) throws Exception {
        Configuration configuration = find(artifact);
        if (configuration != null) {
            configuration.delete();
            LOG.info("Configuration {} deleted: {} was removed", configuration.getPid(), artifact);
        }
    }

    private Configuration find(File artifact) throws IOException, InvalidSyntaxException {
        String filter = "(" + FILENAME + "=" + escape(key(artifact)) + ")";
        Configuration[] found = configurationAdmin.listConfigurations(filter);
        return found == null || found.length == 0 ? null : found[0];
    }

    private static String key(File artifact) {
        return artifact.getAbsoluteFile().toURI().toString();
    }

    private static String escape(String value) {
        return value.replace("\\", "\\\\").replace("(", "\\(").replace(")", "\\)").replace("*", "\\*");
    }

    private static boolean sameProperties(Dictionary<String, Object> current, Hashtable<String, Object> wanted) {
        if (current == null) {
            return false;
        }
        int count = 0;
        for (Enumeration<String> keys = current.keys(); keys.hasMoreElements(); ) {
            String key = keys.nextElement();
            if (key.equals(FILENAME) || key.equals(Constants.SERVICE_PID)
                    || key.equals(ConfigurationAdmin.SERVICE_FACTORYPID)) {
                continue;
            }
            count++;
            if (!Arrays.deepEquals(new Object[] {current.get(key)}, new Object[] {wanted.get(key)})) {
                return false;
            }
        }
        return count == wanted.size();
    }
}

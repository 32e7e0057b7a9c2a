package org.expertlm.platform.internal;

import static org.junit.Assert.assertArrayEquals;
import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertNull;
import static org.junit.Assert.assertThrows;
import static org.junit.Assert.assertTrue;

import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;

import org.junit.Rule;
import org.junit.Test;
import org.junit.rules.TemporaryFolder;

public class JsonConfigurationTest {

    @Rule
    public TemporaryFolder folder = new TemporaryFolder();

    private File write(String name, String text) throws IOException {
        File file = new File(folder.getRoot(), name);
        Files.writeString(file.toPath(), text, StandardCharsets.UTF_8);
        return file;
    }

    @Test
    public void readsTypedPropertiesOfASingletonConfiguration() throws IOException {
        JsonConfiguration c = JsonConfiguration.read(write("org.example.pid.cfg.json",
                "{\"name\": \"x\", \"count\": 3, \"ratio\": 0.5, \"on\": true, \"tags\": [\"a\", \"b\"], \"sizes\": [1, 2]}"));
        assertEquals("org.example.pid", c.pid());
        assertNull(c.factoryPid());
        assertEquals("x", c.properties().get("name"));
        assertEquals(3L, c.properties().get("count"));
        assertEquals(0.5, c.properties().get("ratio"));
        assertEquals(Boolean.TRUE, c.properties().get("on"));
        assertArrayEquals(new String[] {"a", "b"}, (String[]) c.properties().get("tags"));
        assertArrayEquals(new Long[] {1L, 2L}, (Long[]) c.properties().get("sizes"));
    }

    @Test
    public void aDashNamesAFactoryConfiguration() throws IOException {
        JsonConfiguration c = JsonConfiguration.read(write("org.example.factory-first.cfg.json", "{}"));
        assertNull(c.pid());
        assertEquals("org.example.factory", c.factoryPid());
        assertEquals("first", c.name());
        assertTrue(c.properties().isEmpty());
    }

    @Test
    public void malformedJsonIsRefusedWithItsPosition() throws IOException {
        File bad = write("p.cfg.json", "{\n  \"a\": 1,\n  oops\n}");
        IOException e = assertThrows(IOException.class, () -> JsonConfiguration.read(bad));
        assertTrue(e.getMessage(), e.getMessage().contains("not valid JSON") && e.getMessage().contains("line 3"));
    }

    @Test
    public void valuesConfigAdminCannotHoldAreRefusedByName() throws IOException {
        File nested = write("p.cfg.json", "{\"inner\": {\"a\": 1}}");
        IOException e = assertThrows(IOException.class, () -> JsonConfiguration.read(nested));
        assertTrue(e.getMessage(), e.getMessage().contains("'inner' is a object"));
        File mixed = write("q.cfg.json", "{\"m\": [1, \"two\"]}");
        e = assertThrows(IOException.class, () -> JsonConfiguration.read(mixed));
        assertTrue(e.getMessage(), e.getMessage().contains("mixing Long and String"));
        File array = write("r.cfg.json", "[1, 2]");
        e = assertThrows(IOException.class, () -> JsonConfiguration.read(array));
        assertTrue(e.getMessage(), e.getMessage().contains("found array"));
    }
}

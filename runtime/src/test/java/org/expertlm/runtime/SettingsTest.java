package org.expertlm.runtime;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertThrows;
import static org.junit.Assert.assertTrue;

import java.nio.file.Paths;
import java.time.Duration;
import java.util.List;
import java.util.Map;

import org.junit.Test;

public class SettingsTest {

    @Test
    public void foldersDefaultToTheHomeAndTheCommandLineBeatsTheEnvironment() throws ElmException {
        Settings s = Settings.parse(List.of("--work", "/tmp/w"), Map.of("ELM_HOME", "/opt/elm", "ELM_WORK", "/tmp/env-work"));
        assertEquals(Paths.get("/tmp/w"), s.work());
        assertEquals(Paths.get("/opt/elm/deploy"), s.deploy());
        assertEquals(Paths.get("/opt/elm/configs"), s.configs());
        assertEquals(Paths.get("/tmp/w/run/console.sock"), s.socket());
        assertEquals(200, s.pollMillis());
        assertEquals(Duration.ofSeconds(120), s.timeout());
        assertFalse(s.clean() || s.daemon());
    }

    @Test
    public void optionsEndAtTheFirstOperandSoCommandsKeepTheirWords() throws ElmException {
        Settings s = Settings.parse(List.of("--timeout", "5", "elm:status", "--json", "--work", "x"), Map.of(), false);
        assertEquals(Duration.ofSeconds(5), s.timeout());
        assertEquals(List.of("elm:status", "--json", "--work", "x"), s.arguments());
        assertTrue(Settings.parse(List.of("--daemon", "--clean"), Map.of()).daemon());
        Settings data = Settings.parse(List.of("fetch", "brown", "--data", "/tmp/d"), Map.of());
        assertEquals(List.of("fetch", "brown"), data.arguments());
        assertEquals(Paths.get("/tmp/d"), data.data());
    }

    @Test
    public void badValuesAreUsageErrorsThatSayWhatIsExpected() {
        ElmException poll = assertThrows(ElmException.class, () -> Settings.parse(List.of("--poll", "900"), Map.of()));
        assertEquals(2, poll.status());
        assertTrue(poll.getMessage(), poll.getMessage().contains("expected 10 to 500"));
        ElmException timeout = assertThrows(ElmException.class, () -> Settings.parse(List.of(), Map.of("ELM_TIMEOUT", "soon")));
        assertTrue(timeout.getMessage(), timeout.getMessage().contains("not a whole number"));
        ElmException missing = assertThrows(ElmException.class, () -> Settings.parse(List.of("--work"), Map.of()));
        assertTrue(missing.getMessage(), missing.getMessage().contains("--work needs a value"));
    }
}

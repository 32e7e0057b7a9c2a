package org.expertlm.tasks.data;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertThrows;
import static org.junit.Assert.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;

import org.expertlm.launch.LauncherTool;
import org.junit.Test;

/** The launcher finds the data tool through the SPI, with no import of this package. */
public class DataCommandTest {

    @Test
    public void theLauncherFindsTheDataToolByName() {
        LauncherTool tool = LauncherTool.find("data", getClass().getClassLoader());
        assertTrue(tool instanceof DataCommand);
        assertTrue(tool.usage(), tool.usage().startsWith("usage: elm data fetch"));
    }

    @Test
    public void anUnknownToolNamesTheOnesThereAre() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> LauncherTool.find("train", getClass().getClassLoader()));
        assertTrue(e.getMessage(), e.getMessage().contains("no launcher tool 'train'") && e.getMessage().contains("data"));
    }

    @Test
    public void badUsageExitsWithTwoAndPrintsTheUsage() {
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        int status = new DataCommand().run(List.of("refetch"), Path.of("."), Path.of("data"), System.out,
                new PrintStream(err, true, StandardCharsets.UTF_8));
        assertEquals(2, status);
        String text = err.toString(StandardCharsets.UTF_8);
        assertTrue(text, text.contains("unknown data subcommand 'refetch'") && text.contains("usage: elm data fetch"));
    }
}

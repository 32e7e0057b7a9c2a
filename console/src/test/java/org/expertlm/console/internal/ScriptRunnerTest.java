package org.expertlm.console.internal;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertThrows;

import java.util.List;

import org.junit.Test;

public class ScriptRunnerTest {

    private static List<String> texts(String script) {
        return ScriptRunner.statements(script).stream().map(CharSequence::toString).map(String::strip).toList();
    }

    @Test
    public void semicolonsAndNewlinesSeparateStatementsWhoseResultsArePrintedEach() {
        assertEquals(List.of("elm:status", "lb"), texts("elm:status; lb"));
        assertEquals(List.of("elm:status --json", "echo done"), texts("elm:status --json\necho done"));
    }

    @Test
    public void pipelinesAndClosuresStayWhole() {
        assertEquals(List.of("lb | grep felix"), texts("lb | grep felix"));
        assertEquals(List.of("each [1 2] { echo $it; echo x }"), texts("each [1 2] { echo $it; echo x }"));
    }

    @Test
    public void conditionalOperatorsKeepTheScriptAsOneProgram() {
        assertEquals(List.of("elm:status && echo ok"), texts("elm:status && echo ok"));
    }

    @Test
    public void anUnclosedBraceIsASyntaxError() {
        assertThrows(RuntimeException.class, () -> ScriptRunner.statements("each [1 2] { echo $it"));
    }
}

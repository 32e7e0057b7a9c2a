package org.expertlm.console.internal;

import java.io.InputStream;
import java.io.OutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.List;

import org.apache.felix.gogo.runtime.Parser;
import org.apache.felix.gogo.runtime.Parser.Executable;
import org.apache.felix.gogo.runtime.Parser.Operator;
import org.apache.felix.service.command.CommandProcessor;
import org.apache.felix.service.command.CommandSession;
import org.apache.felix.service.command.Converter;

/**
 * Runs a Gogo script the way the interactive shell runs lines: each statement's result is printed,
 * and the first failure stops the script with a message and a non-zero status.
 */
final class ScriptRunner {

    /** Exit status of a script that failed to parse. */
    static final int SYNTAX_ERROR = 2;
    /** Exit status of a command that failed. */
    static final int FAILED = 1;

    private final CommandProcessor processor;

    ScriptRunner(CommandProcessor processor) {
        this.processor = processor;
    }

    /** Runs {@code script}; returns its exit status. Nothing is thrown: failures go to {@code err}. */
    int run(String script, InputStream in, PrintStream out, PrintStream err) {
        List<CharSequence> statements;
        try {
            statements = statements(script);
        } catch (RuntimeException e) {
            err.println("elm: syntax error in '" + script.strip() + "': " + e.getMessage());
            return SYNTAX_ERROR;
        }
        try (CommandSession session = processor.createSession(in, out, err)) {
            for (CharSequence statement : statements) {
                Object result = session.execute(statement);
                if (result != null) {
                    out.println(session.format(result, Converter.INSPECT));
                }
            }
            return 0;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt(); // whoever interrupted (the timeout) says why
            return FAILED;
        } catch (Exception e) {
            err.println("elm: " + describe(e));
            return FAILED;
        } finally {
            out.flush();
            err.flush();
        }
    }

    /**
     * Splits a script at top-level {@code ;} and newlines so that every statement's result can be
     * printed; a script using {@code &&}, {@code ||} or {@code &} runs as one program instead.
     */
    static List<CharSequence> statements(String script) {
        List<Executable> tokens = new Parser(script).program().tokens();
        boolean sequence = tokens.stream()
                .filter(t -> t instanceof Operator)
                .allMatch(t -> t.toString().equals(";") || t.toString().equals("\n"));
        if (!sequence) {
            return List.of(new Parser(script).program());
        }
        return tokens.stream().filter(t -> !(t instanceof Operator)).map(t -> (CharSequence) t).toList();
    }

    static String describe(Throwable e) {
        // Gogo wraps what a command threw (an OutOfMemoryError included) in an InvocationTargetException without a message.
        while (e instanceof java.lang.reflect.InvocationTargetException && e.getCause() != null) {
            e = e.getCause();
        }
        String message = e.getMessage();
        String type = e.getClass().getSimpleName();
        return message == null || message.isBlank() ? type : (e instanceof IllegalArgumentException
                || e instanceof IllegalStateException ? message : type + ": " + message);
    }

    static PrintStream print(OutputStream out) {
        return new PrintStream(out, true, StandardCharsets.UTF_8);
    }
}

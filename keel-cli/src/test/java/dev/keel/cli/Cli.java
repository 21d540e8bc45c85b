package dev.keel.cli;

import java.io.ByteArrayInputStream;
import java.io.InputStream;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/** Runs {@code keel} in this JVM through picocli, capturing stdout, stderr and the exit code. */
final class Cli {
    private Cli() {
    }

    /** What one run printed and returned. */
    record Result(int exitCode, String out, String err) {
        @Override
        public String toString() {
            return "exit " + exitCode + "\n--- stdout ---\n" + out + "--- stderr ---\n" + err;
        }
    }

    static Result run(String... args) {
        return runWithInput(new ByteArrayInputStream(new byte[0]), args);
    }

    static Result runWithInput(String stdin, String... args) {
        return runWithInput(new ByteArrayInputStream(stdin.getBytes(StandardCharsets.UTF_8)), args);
    }

    static Result runWithInput(InputStream stdin, String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        int code;
        try (PrintWriter o = new PrintWriter(out); PrintWriter e = new PrintWriter(err)) {
            code = KeelCli.commandLine(o, e, stdin).execute(args);
        }
        Result r = new Result(code, out.toString(), err.toString());
        System.out.println("keel " + String.join(" ", Arrays.asList(args)) + " -> exit " + code
                + (r.err().isEmpty() ? "" : "\n  stderr: " + r.err().strip().replace("\n", "\n  ")));
        return r;
    }
}

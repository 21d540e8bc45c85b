package dev.keel.cli;

import java.io.FileDescriptor;
import java.io.FileOutputStream;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.OutputStreamWriter;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

/**
 * The {@code keel} command: subcommands for serving, looking at, checking, repairing and moving
 * KeelDB databases. Results go to stdout, errors to stderr as {@code keel <command>: <message>}; the
 * exit code says what happened (see {@link ExitCodes}).
 */
@Command(name = "keel", mixinStandardHelpOptions = true, versionProvider = VersionProvider.class,
        description = "Serve, look at, check, repair, back up and move KeelDB databases.%n"
                + "A database is a directory; commands other than serve, import and demo never create one.",
        subcommands = {ServeCommand.class, InspectCommand.class, VerifyCommand.class, RecoverCommand.class,
            CheckpointCommand.class, BackupCommand.class, RestoreCommand.class, ExportCommand.class,
            ImportCommand.class, DemoCommand.class, CommandLine.HelpCommand.class},
        footerHeading = "%nExamples:%n",
        footer = {"  keel serve                           # HTTP server over ./keel-data on 127.0.0.1:7070",
            "  keel demo                            # a demo database in ./keel-data",
            "  keel inspect keel-data               # what is in it",
            "  keel verify keel-data                # check every byte",
            "  keel export keel-data -o out.jsonl   # all entities as JSON Lines",
            "  keel help export                     # help of one command"},
        exitCodeListHeading = ExitCodes.HEADING,
        exitCodeList = {ExitCodes.L_OK, ExitCodes.L_PROBLEMS, ExitCodes.L_UNUSABLE, ExitCodes.L_LOCKED,
            ExitCodes.L_MISSING, ExitCodes.L_IO, ExitCodes.L_USAGE, ExitCodes.L_INTERNAL})
public final class KeelCli implements Runnable {
    @Spec
    CommandSpec spec;

    private final InputStream stdin;
    private final OutputStream stdout;

    private KeelCli(InputStream stdin, OutputStream stdout) {
        this.stdin = stdin;
        this.stdout = stdout;
    }

    /**
     * The process's standard output as a raw stream, or {@code null} when output goes to the
     * command line's writer only (tests). Export writes here so that it sees I/O errors (a closed
     * pipe, a full disk), which a PrintWriter hides.
     */
    OutputStream stdout() {
        return stdout;
    }

    /** Standard input, for {@code keel import} without {@code --input}. */
    InputStream stdin() {
        return stdin;
    }

    @Override
    public void run() {
        throw new ParameterException(spec.commandLine(), "missing command");
    }

    /**
     * The command line with its exit-code handlers, writing to {@code out} and {@code err} and reading
     * {@code stdin}; {@code execute(args)} returns the exit code. For tests and embedding.
     */
    public static CommandLine commandLine(PrintWriter out, PrintWriter err, InputStream stdin) {
        return commandLine(out, err, stdin, null);
    }

    private static CommandLine commandLine(PrintWriter out, PrintWriter err, InputStream stdin, OutputStream stdout) {
        ErrorHandler errors = new ErrorHandler();
        return new CommandLine(new KeelCli(stdin, stdout))
                .setOut(out)
                .setErr(err)
                .setExecutionExceptionHandler(errors)
                .setParameterExceptionHandler(errors)
                .setUsageHelpAutoWidth(true);
    }

    public static void main(String[] args) {
        FileOutputStream stdout = new FileOutputStream(FileDescriptor.out);
        PrintWriter out = new PrintWriter(new OutputStreamWriter(stdout, StandardCharsets.UTF_8), true);
        PrintWriter err = new PrintWriter(new OutputStreamWriter(new FileOutputStream(FileDescriptor.err),
                StandardCharsets.UTF_8), true);
        int code = commandLine(out, err, System.in, stdout).execute(args);
        out.flush();
        err.flush();
        System.exit(code);
    }
}

package dev.keel.cli;

import dev.keel.ConstraintViolationException;
import dev.keel.CorruptionException;
import dev.keel.DatabaseLockedException;
import dev.keel.FormatVersionException;
import dev.keel.SchemaMismatchException;
import dev.keel.StorageException;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.UncheckedIOException;
import java.util.Locale;
import picocli.CommandLine;
import picocli.CommandLine.IExecutionExceptionHandler;
import picocli.CommandLine.IParameterExceptionHandler;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.ParseResult;
import picocli.CommandLine.UnmatchedArgumentException;

/**
 * The one place where failures become exit codes (see {@link ExitCodes}) and messages: one line
 * {@code keel <command>: <message>} on stderr, then an indented line saying what to do. Only an
 * unexpected exception (exit 70) also prints its stack trace.
 */
final class ErrorHandler implements IExecutionExceptionHandler, IParameterExceptionHandler {

    /** A classified failure. */
    private record Failure(int exitCode, String message, String hint) {
    }

    @Override
    public int handleParseException(ParameterException ex, String[] args) {
        CommandLine cmd = ex.getCommandLine();
        PrintWriter err = cmd.getErr();
        String name = cmd.getCommandSpec().qualifiedName();
        err.println(name + ": " + ex.getMessage());
        UnmatchedArgumentException.printSuggestions(ex, err);
        err.print(cmd.getHelp().fullSynopsis());
        err.println("Try '" + name + " --help' for more information.");
        err.flush();
        return ExitCodes.USAGE;
    }

    @Override
    public int handleExecutionException(Exception ex, CommandLine cmd, ParseResult parseResult) {
        PrintWriter err = cmd.getErr();
        String name = cmd.getCommandSpec().qualifiedName();
        Failure f = classify(ex, cmd.getCommandSpec().name());
        err.println(name + ": " + f.message());
        if (f.hint() != null) {
            err.println("  " + f.hint());
        }
        if (f.exitCode() == ExitCodes.INTERNAL) {
            ex.printStackTrace(err);
        }
        err.flush();
        return f.exitCode();
    }

    /**
     * The message and hint (null if none) this handler would print for {@code ex} under
     * {@code command}, for failures a command reports without exiting (a server whose database
     * failed to open keeps serving its probes).
     */
    static String[] explain(Exception ex, String command) {
        Failure f = classify(ex, command);
        return new String[] {f.message(), f.exitCode() == ExitCodes.INTERNAL ? null : f.hint()};
    }

    private static Failure classify(Exception ex, String command) {
        if (ex instanceof CliException e) {
            return new Failure(e.exitCode(), e.getMessage(), e.hint());
        }
        if (ex instanceof DatabaseLockedException e) {
            return new Failure(ExitCodes.LOCKED, "database is locked: in use by " + e.holder(), lockedHint(command));
        }
        if (ex instanceof FormatVersionException e) {
            return new Failure(ExitCodes.UNUSABLE, e.getMessage(), "this build cannot read it; nothing was changed");
        }
        if (ex instanceof CorruptionException e) {
            String dir = e.file() == null || e.file().getParent() == null ? "DIR" : e.file().getParent().toString();
            return new Failure(ExitCodes.UNUSABLE, e.getMessage(), "nothing was changed. See all damage: keel verify "
                    + dir + "; read what is intact: keel recover " + dir + " --mode read-only; repair, keeping the"
                    + " damaged bytes in quarantine/: keel recover " + dir + " --mode force");
        }
        if (ex instanceof SchemaMismatchException e) {
            return new Failure(ExitCodes.UNUSABLE, e.getMessage(), command.equals("import")
                    ? "the export's entity types must equal those stored in the database (keel inspect shows them);"
                    + " nothing was imported. Import into a new directory instead" : null);
        }
        if (ex instanceof dev.keel.BootBudgetExceededException e) {
            return new Failure(ExitCodes.UNUSABLE, e.getMessage(), "the open was abandoned before anything was"
                    + " repaired; nothing was changed");
        }
        if (ex instanceof StorageException e) {
            return new Failure(ExitCodes.IO_ERROR, e.getMessage(), ioHint(e));
        }
        if (ex instanceof UncheckedIOException || ex instanceof IOException) {
            Throwable io = ex instanceof UncheckedIOException u ? u.getCause() : ex;
            return new Failure(ExitCodes.IO_ERROR, "I/O error: " + describe(io), ioHint(ex));
        }
        if (ex instanceof ConstraintViolationException || ex instanceof IllegalArgumentException) {
            return new Failure(ExitCodes.PROBLEMS, ex.getMessage(), null);
        }
        return new Failure(ExitCodes.INTERNAL, "internal error: " + ex, "this is a bug in keel; please report it"
                + " with the stack trace below");
    }

    private static String lockedHint(String command) {
        return switch (command) {
            case "export" -> "close it in that process first, or copy it online and export the copy:"
                    + " keel backup DIR COPY && keel export COPY";
            case "verify", "inspect" -> "close it in that process first, or check an online copy: keel backup DIR COPY";
            default -> "close it in that process first (one process at a time may open a database); keel backup"
                    + " works while it is open";
        };
    }

    private static String ioHint(Throwable e) {
        for (Throwable t = e; t != null; t = t.getCause()) {
            String m = String.valueOf(t.getMessage()).toLowerCase(Locale.ROOT);
            if (m.contains("no space left") || m.contains("disk full") || m.contains("disk is full")
                    || m.contains("enospc")) {
                return "the disk is full: free some space and run the command again";
            }
        }
        return "check free disk space (a full disk is the usual cause), permissions and the system log";
    }

    private static String describe(Throwable t) {
        String m = t.getMessage();
        return m == null ? t.getClass().getSimpleName() : t.getClass().getSimpleName() + ": " + m;
    }
}

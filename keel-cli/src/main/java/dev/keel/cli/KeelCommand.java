package dev.keel.cli;

import dev.keel.KeelDb;
import dev.keel.KeelOptions;
import dev.keel.RecoveryMode;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Spec;

/**
 * Base of the subcommands: results go to {@link #out()}, problems to {@link #err()}; failures are
 * thrown and turned into exit codes by {@link ErrorHandler}.
 */
abstract class KeelCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    PrintWriter out() {
        return spec.commandLine().getOut();
    }

    PrintWriter err() {
        return spec.commandLine().getErr();
    }

    /** A warning on stderr, prefixed like errors: {@code keel <command>: warning: ...}. */
    void warn(String message) {
        err().println(spec.qualifiedName() + ": warning: " + message);
        err().flush();
    }

    /**
     * Opens an existing database (never creates one: exit 4 when {@code dir} is not a database).
     * READ_ONLY writes nothing; NORMAL and FORCE may repair and checkpoint.
     */
    static KeelDb openExisting(Path dir, RecoveryMode mode) {
        DatabaseDirectory.requireDatabase(dir);
        try {
            // An operator at a terminal wants recovery to finish, however long: no boot budgets.
            return KeelDb.open(dir, KeelOptions.builder().recoveryMode(mode)
                    .bootBudgets(dev.keel.BootBudgets.unlimited()).build());
        } catch (IllegalArgumentException e) {
            if (!Files.isDirectory(dir)) {
                // READ_ONLY open of a directory that vanished since the check above.
                throw new CliException(ExitCodes.NOT_A_DATABASE, "database directory " + dir + " does not exist");
            }
            throw e;
        }
    }

    /** Runs a dev.keel.tools call whose IllegalArgumentException means "not a database" (exit 4). */
    static <T> T onDatabase(Path dir, Callable<T> tool) throws Exception {
        DatabaseDirectory.requireDatabase(dir);
        try {
            return tool.call();
        } catch (IllegalArgumentException e) {
            throw new CliException(ExitCodes.NOT_A_DATABASE, e.getMessage());
        }
    }
}

package dev.keel.cli;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.stream.Stream;

/**
 * Checks made before a command touches a directory, so that no command but {@code import} and
 * {@code demo} ever creates a database, and a wrong path gets exit code 4 instead of an empty new
 * database. A KeelDB directory holds at least one of {@code keel.lock}, {@code wal-<id>.log} or
 * {@code checkpoint-<lsn>.kcp} (README "Layout on disk").
 */
final class DatabaseDirectory {
    private DatabaseDirectory() {
    }

    /** Throws (exit 4) unless {@code dir} is an existing KeelDB database directory. */
    static Path requireDatabase(Path dir) {
        if (!Files.exists(dir)) {
            throw new CliException(ExitCodes.NOT_A_DATABASE, "database directory " + dir + " does not exist",
                    "check the path; this command never creates a database");
        }
        if (!Files.isDirectory(dir)) {
            throw new CliException(ExitCodes.NOT_A_DATABASE, dir + " is not a directory",
                    "give the database directory, not a file in it");
        }
        if (!isDatabase(dir)) {
            throw new CliException(ExitCodes.NOT_A_DATABASE, dir + " is not a KeelDB database (no keel.lock,"
                    + " wal-*.log or checkpoint-*.kcp in it)", "check the path; this command never creates a database");
        }
        return dir;
    }

    /**
     * Throws unless {@code dir} can receive a new database or backup: absent, or an empty directory
     * ({@code allowDatabase}: or an existing KeelDB database, for import); else fails with
     * {@code exitCode}.
     */
    static Path requireEmptyOrAbsent(Path dir, boolean allowDatabase, String what, int exitCode) {
        if (!Files.exists(dir)) {
            return dir;
        }
        if (!Files.isDirectory(dir)) {
            throw new CliException(exitCode, what + " " + dir + " is a file, not a directory");
        }
        if (allowDatabase && isDatabase(dir)) {
            return dir;
        }
        if (!isEmpty(dir)) {
            throw new CliException(exitCode, what + " " + dir + " is not empty"
                    + (allowDatabase ? " and not a KeelDB database" : ""),
                    "give a new or empty directory; nothing was written");
        }
        return dir;
    }

    static boolean isDatabase(Path dir) {
        try (Stream<Path> files = Files.list(dir)) {
            return files.map(p -> p.getFileName().toString()).anyMatch(n -> n.equals("keel.lock")
                    || n.startsWith("wal-") && n.endsWith(".log")
                    || n.startsWith("checkpoint-") && n.endsWith(".kcp"));
        } catch (IOException e) {
            throw new UncheckedIOException("cannot list " + dir + ": " + e.getMessage(), e);
        }
    }

    private static boolean isEmpty(Path dir) {
        try (Stream<Path> files = Files.list(dir)) {
            return files.findAny().isEmpty();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot list " + dir + ": " + e.getMessage(), e);
        }
    }
}

package dev.keel.cli;

import dev.keel.tools.Backups;
import dev.keel.tools.RestoreResult;
import java.nio.file.Path;
import picocli.CommandLine.Command;
import picocli.CommandLine.Parameters;

/** {@code keel restore BACKUP DIR}: copies a backup into a new database directory and verifies it. */
@Command(name = "restore", mixinStandardHelpOptions = true, versionProvider = VersionProvider.class,
        description = {"Restore a backup into a new database directory.",
            "",
            "Restores a backup written by keel backup into DIR (absent or empty), then verifies that the "
                + "result opens and matches the backup. Never overwrites an existing database."},
        footerHeading = "%nExamples:%n",
        footer = {"  keel restore /backups/keel-2025-01-31 keel-data.restored",
            "  keel verify keel-data.restored"},
        exitCodeListHeading = ExitCodes.HEADING,
        exitCodeList = {ExitCodes.L_OK, "1:DIR exists and is not empty", ExitCodes.L_UNUSABLE,
            "4:BACKUP missing or not a KeelDB backup", ExitCodes.L_IO, ExitCodes.L_USAGE, ExitCodes.L_INTERNAL})
final class RestoreCommand extends KeelCommand {
    @Parameters(index = "0", paramLabel = "BACKUP", description = "a backup directory written by keel backup")
    Path backup;

    @Parameters(index = "1", paramLabel = "DIR", description = "the database directory to create (absent or empty)")
    Path dir;

    @Override
    public Integer call() {
        DatabaseDirectory.requireDatabase(backup);
        DatabaseDirectory.requireEmptyOrAbsent(dir, false, "restore target", ExitCodes.PROBLEMS);
        RestoreResult r = Backups.restore(backup, dir);
        out().printf("restored %s into %s and verified: LSN %d, %,d entities, took %s%n", backup, r.directory(),
                r.lsn(), r.entities(), Format.duration(r.took()));
        return ExitCodes.OK;
    }
}

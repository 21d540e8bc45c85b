package dev.keel.cli;

import dev.keel.BackupResult;
import dev.keel.tools.Backups;
import java.nio.file.Path;
import picocli.CommandLine.Command;
import picocli.CommandLine.Parameters;

/** {@code keel backup DIR DEST}: an online, verified backup. */
@Command(name = "backup", mixinStandardHelpOptions = true, versionProvider = VersionProvider.class,
        description = {"Online, verified backup of a database into a new directory.",
            "",
            "Writes a consistent backup of the latest commit of DIR into DEST (absent or empty), then read "
                + "it back and verify it. Online: works while another process has DIR open and writes. The backup "
                + "is itself a database directory (one checkpoint); keel restore copies it back."},
        footerHeading = "%nExamples:%n",
        footer = {"  keel backup keel-data /backups/keel-$(date +%%F)",
            "  keel backup keel-data copy && keel export copy -o data.jsonl"},
        exitCodeListHeading = ExitCodes.HEADING,
        exitCodeList = {ExitCodes.L_OK, "1:DEST exists and is not empty", ExitCodes.L_UNUSABLE,
            ExitCodes.L_MISSING, ExitCodes.L_IO, ExitCodes.L_USAGE, ExitCodes.L_INTERNAL})
final class BackupCommand extends KeelCommand {
    @Parameters(index = "0", paramLabel = "DIR", description = "the database directory")
    Path dir;

    @Parameters(index = "1", paramLabel = "DEST", description = "the backup directory to create (absent or empty)")
    Path dest;

    @Override
    public Integer call() {
        DatabaseDirectory.requireDatabase(dir);
        DatabaseDirectory.requireEmptyOrAbsent(dest, false, "backup destination", ExitCodes.PROBLEMS);
        BackupResult r = Backups.backup(dir, dest);
        out().printf("backup of %s written to %s and verified: LSN %d, %,d entities, %s, took %s%n", dir,
                r.directory(), r.lsn(), r.entities(), Format.bytes(r.sizeInBytes()), Format.duration(r.took()));
        out().printf("restore it with: keel restore %s NEW_DIR%n", r.directory());
        return ExitCodes.OK;
    }
}

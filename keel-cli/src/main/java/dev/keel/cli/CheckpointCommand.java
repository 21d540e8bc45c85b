package dev.keel.cli;

import dev.keel.KeelDb;
import dev.keel.RecoveryMode;
import java.nio.file.Path;
import picocli.CommandLine.Command;
import picocli.CommandLine.Parameters;

/** {@code keel checkpoint DIR}: writes a checkpoint now. */
@Command(name = "checkpoint", mixinStandardHelpOptions = true, versionProvider = VersionProvider.class,
        description = {"Write a checkpoint now.",
            "",
            "Opens the database (NORMAL recovery), writes a checkpoint of the latest commit and retires the "
                + "log segments it covers; prints the checkpoint's LSN. Makes the next open fast."},
        footerHeading = "%nExamples:%n",
        footer = {"  keel checkpoint keel-data"},
        exitCodeListHeading = ExitCodes.HEADING,
        exitCodeList = {ExitCodes.L_OK, ExitCodes.L_UNUSABLE, ExitCodes.L_LOCKED, ExitCodes.L_MISSING,
            ExitCodes.L_IO, ExitCodes.L_USAGE, ExitCodes.L_INTERNAL})
final class CheckpointCommand extends KeelCommand {
    @Parameters(index = "0", paramLabel = "DIR", description = "the database directory (must exist)")
    Path dir;

    @Override
    public Integer call() {
        long lsn;
        try (KeelDb db = openExisting(dir, RecoveryMode.NORMAL)) {
            if (!db.recoveryReport().clean()) {
                RecoverCommand.print(db.recoveryReport(), out());
            }
            lsn = db.checkpoint();
        }
        out().printf("checkpoint written at LSN %d in %s%n", lsn, dir);
        return ExitCodes.OK;
    }
}

package dev.keel.cli;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.keel.KeelDb;
import dev.keel.RecoveryMode;
import dev.keel.RecoveryReport;
import java.io.PrintWriter;
import java.nio.file.Path;
import picocli.CommandLine.Command;
import picocli.CommandLine.ITypeConverter;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.TypeConversionException;

/** {@code keel recover DIR --mode read-only|force}: opens in that recovery mode and prints the report. */
@Command(name = "recover", mixinStandardHelpOptions = true, versionProvider = VersionProvider.class,
        description = {"Open in a recovery mode (read-only or force) and report what recovery did.",
            "",
            "Prints each event (kind, file, offset, LSN, length, quarantine file, detail) and the totals.",
            "  read-only  report what is readable, skipping damaged records; write nothing.",
            "  force      recover every complete transaction, keep damaged bytes in",
            "             quarantine/, checkpoint; then the database opens normally again.",
            "Use it when another command reports corruption (exit code 2)."},
        footerHeading = "%nExamples:%n",
        footer = {"  keel recover keel-data --mode read-only    # look first: what is lost?",
            "  keel backup keel-data saved                 # a copy, just in case",
            "  keel recover keel-data --mode force         # then repair"},
        exitCodeListHeading = ExitCodes.HEADING,
        exitCodeList = {"0:opened (read-only: and recovery found nothing to report)",
            "1:read-only: recovery found something (damage to skip, a torn tail to cut)", ExitCodes.L_UNUSABLE,
            ExitCodes.L_LOCKED, ExitCodes.L_MISSING, ExitCodes.L_IO, ExitCodes.L_USAGE, ExitCodes.L_INTERNAL})
final class RecoverCommand extends KeelCommand {
    @Parameters(index = "0", paramLabel = "DIR", description = "the database directory")
    Path dir;

    @Option(names = "--mode", required = true, paramLabel = "read-only|force", converter = ModeConverter.class,
            description = "read-only: report only, write nothing; force: repair what can be repaired")
    RecoveryMode mode;

    @Option(names = "--json", description = "print the report as JSON (dev.keel.RecoveryReport plus clean)")
    boolean json;

    @Override
    public Integer call() throws Exception {
        RecoveryReport r;
        try (KeelDb db = openExisting(dir, mode)) {
            r = db.recoveryReport();
        }
        if (json) {
            ObjectNode node = Json.REPORTS.valueToTree(r);
            node.put("clean", r.clean());
            out().println(Json.REPORTS.writeValueAsString(node));
        } else {
            print(r, out());
            if (mode == RecoveryMode.READ_ONLY) {
                out().printf(r.clean() ? "Nothing to repair; the database opens normally.%n"
                        : "Nothing was written. To repair: keel recover %s --mode force%n", dir);
            } else {
                out().printf("The database was recovered%s and opens normally now.%n",
                        r.clean() ? "" : " (every loss is listed above; damaged bytes are in quarantine/)");
            }
        }
        return mode == RecoveryMode.READ_ONLY && !r.clean() ? ExitCodes.PROBLEMS : ExitCodes.OK;
    }

    static void print(RecoveryReport r, PrintWriter out) {
        out.printf("recovery (%s): checkpoint LSN %d (%s), %d segments read (%s), %,d records and %,d transactions"
                + " replayed, %,d transactions rolled back, continues from LSN %d%n", r.mode(), r.checkpointLsn(),
                r.checkpointFile() == null ? "no checkpoint" : r.checkpointFile().getFileName(), r.segmentsRead(),
                Format.bytes(r.bytesRead()), r.recordsReplayed(), r.transactionsReplayed(), r.transactionsRolledBack(),
                r.lastLsn());
        out.printf("%d events%s%n", r.events().size(), r.events().isEmpty() ? " (clean)" : ":");
        for (RecoveryReport.Event e : r.events()) {
            out.printf("  %s %s offset %d: after LSN %d, %d bytes; %s%n      %s%n", e.kind(), e.file(), e.offset(),
                    e.lsn(), e.length(), e.quarantineFile() == null ? "not copied to quarantine"
                    : "kept in " + e.quarantineFile(), e.detail());
        }
    }

    /** {@code read-only} or {@code force}. */
    static final class ModeConverter implements ITypeConverter<RecoveryMode> {
        @Override
        public RecoveryMode convert(String value) {
            return switch (value) {
                case "read-only" -> RecoveryMode.READ_ONLY;
                case "force" -> RecoveryMode.FORCE;
                default -> throw new TypeConversionException("expected read-only or force, was '" + value + "'");
            };
        }
    }
}

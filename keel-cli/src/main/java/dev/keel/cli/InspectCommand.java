package dev.keel.cli;

import dev.keel.tools.DatabaseInfo;
import dev.keel.tools.Inspector;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code keel inspect DIR}: what is in a database directory, without taking its lock or writing. */
@Command(name = "inspect", mixinStandardHelpOptions = true, versionProvider = VersionProvider.class,
        description = {"Show what is in a database (read-only, no lock).",
            "",
            "Checkpoint, log segments, entities per type, last LSN, lock holder, quarantined files. Takes "
                + "no lock and writes nothing, so it also works on a database another process has open (the "
                + "answer is then a snapshot)."},
        footerHeading = "%nExamples:%n",
        footer = {"  keel inspect keel-data",
            "  keel inspect keel-data --json | jq .lastLsn"},
        exitCodeListHeading = ExitCodes.HEADING,
        exitCodeList = {ExitCodes.L_OK, ExitCodes.L_MISSING, ExitCodes.L_IO, ExitCodes.L_USAGE, ExitCodes.L_INTERNAL})
final class InspectCommand extends KeelCommand {
    @Parameters(index = "0", paramLabel = "DIR", description = "the database directory")
    Path dir;

    @Option(names = "--json", description = "print the result as JSON (the fields of dev.keel.tools.DatabaseInfo)")
    boolean json;

    @Override
    public Integer call() throws Exception {
        DatabaseInfo info = onDatabase(dir, () -> Inspector.inspect(dir));
        if (json) {
            out().println(Json.REPORTS.writeValueAsString(info));
        } else {
            print(info, out());
        }
        return ExitCodes.OK;
    }

    private static void print(DatabaseInfo info, PrintWriter out) {
        out.printf("database     %s%n", info.directory());
        out.printf("format       version %d%n", info.formatVersion());
        out.printf("last LSN     %d%n", info.lastLsn());
        out.printf("lock         %s%n", info.lockHolder() == null ? "free" : "held by " + info.lockHolder());
        DatabaseInfo.CheckpointInfo c = info.checkpoint();
        if (c == null) {
            out.printf("checkpoint   none%n");
        } else {
            out.printf("checkpoint   %s: LSN %d, %s, written %s (%s ago)%n", c.file(), c.lsn(),
                    Format.bytes(c.sizeInBytes()), c.written(), c.age() == null ? "?" : Format.duration(
                            c.age().isNegative() ? Duration.ZERO : c.age()));
        }
        out.printf("segments     %d%n", info.segments().size());
        for (DatabaseInfo.SegmentInfo s : info.segments()) {
            out.printf("  %-28s %10s  %s  %d records%n", s.file(), Format.bytes(s.sizeInBytes()),
                    s.records() == 0 ? "empty" : "LSN " + s.firstLsn() + ".." + s.lastLsn(), s.records());
        }
        table(out, "entities", info.entitiesPerType());
        table(out, "log records after the checkpoint", info.logRecordsPerKind());
        out.printf("quarantine   %s%n", info.quarantineFiles().isEmpty() ? "empty"
                : info.quarantineFiles().size() + " files");
        info.quarantineFiles().forEach(f -> out.printf("  %s%n", f));
        out.printf("last recovery report  %s%n", info.lastRecoveryReport() == null ? "none"
                : "recovery.json (keel inspect --json shows it)");
        for (String note : info.notes()) {
            out.printf("note: %s%n", note);
        }
    }

    private static void table(PrintWriter out, String title, Map<String, Long> rows) {
        out.printf("%s%s%n", title, rows.isEmpty() ? ": none" : "");
        rows.forEach((k, v) -> out.printf("  %-28s %,12d%n", k, v));
    }
}

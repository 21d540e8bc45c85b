package dev.keel.cli;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.keel.tools.Verifier;
import dev.keel.tools.VerifyReport;
import java.nio.file.Path;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code keel verify DIR}: reads every byte, checks every checksum and structure; never writes. */
@Command(name = "verify", mixinStandardHelpOptions = true, versionProvider = VersionProvider.class,
        description = {"Check every byte of a database; never writes.",
            "",
            "Reads every checkpoint and log segment in full and checks every checksum and the structure "
                + "(schema, every entity against its type, references). Never writes a byte. Prints each finding "
                + "(severity, file, offset, message) and a summary."},
        footerHeading = "%nExamples:%n",
        footer = {"  keel verify keel-data",
            "  keel verify keel-data --json > verify.json || echo \"damaged: see verify.json\""},
        exitCodeListHeading = ExitCodes.HEADING,
        exitCodeList = {"0:clean (notes only)", "1:problems found (READ_ONLY/FORCE recovery or a backup can deal"
                + " with them)", "2:unusable (for example an unknown format version)", ExitCodes.L_LOCKED,
            ExitCodes.L_MISSING, ExitCodes.L_IO, ExitCodes.L_USAGE, ExitCodes.L_INTERNAL})
final class VerifyCommand extends KeelCommand {
    @Parameters(index = "0", paramLabel = "DIR", description = "the database directory")
    Path dir;

    @Option(names = "--json", description = "print the report as JSON (dev.keel.tools.VerifyReport plus outcome"
            + " and exitCode)")
    boolean json;

    @Override
    public Integer call() throws Exception {
        VerifyReport r = onDatabase(dir, () -> Verifier.verify(dir));
        if (json) {
            ObjectNode node = Json.REPORTS.valueToTree(r);
            node.put("outcome", r.outcome().name());
            node.put("exitCode", r.exitCode());
            out().println(Json.REPORTS.writeValueAsString(node));
            return r.exitCode();
        }
        long problems = 0;
        long notes = 0;
        for (VerifyReport.Finding f : r.findings()) {
            String file = f.file() == null ? "-" : f.file().getFileName() == null ? f.file().toString()
                    : f.file().getFileName().toString();
            out().printf("%-8s %s%s: %s%n", f.severity(), file, f.offset() >= 0 ? " @ " + f.offset() : "", f.message());
            if (f.severity() == VerifyReport.Severity.NOTE) {
                notes++;
            } else {
                problems++;
            }
        }
        out().printf("%s: %s. Read %d checkpoints and %d log segments (%s), checked %,d records and %,d"
                + " entities; %d problems, %d notes.%n", r.directory(), r.outcome(), r.checkpointsRead(),
                r.segmentsRead(), Format.bytes(r.bytesRead()), r.recordsChecked(), r.entitiesChecked(), problems, notes);
        if (r.outcome() == VerifyReport.Outcome.PROBLEMS) {
            out().printf("What now: keel recover %s --mode read-only shows what is readable; keel recover %s --mode"
                    + " force repairs (damaged bytes kept in quarantine/); or restore a backup.%n", dir, dir);
        }
        return r.exitCode();
    }
}

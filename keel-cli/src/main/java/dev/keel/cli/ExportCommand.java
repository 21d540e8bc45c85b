package dev.keel.cli;

import com.fasterxml.jackson.core.JsonGenerator;
import dev.keel.Entity;
import dev.keel.EntityType;
import dev.keel.Field;
import dev.keel.FieldType;
import dev.keel.KeelDb;
import dev.keel.RecoveryMode;
import dev.keel.RecoveryReport;
import dev.keel.Snapshot;
import java.io.BufferedWriter;
import java.io.IOException;
import java.io.OutputStreamWriter;
import java.io.UncheckedIOException;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.ParentCommand;

/**
 * {@code keel export DIR}: every entity as JSON Lines, streamed from one snapshot (see
 * {@link ExportFormat}). Opens the database READ_ONLY, so it writes nothing to it.
 */
@Command(name = "export", mixinStandardHelpOptions = true, versionProvider = VersionProvider.class,
        description = {"Export every entity as JSON Lines (streaming, one snapshot).",
            "",
            "Writes a header line with the schema (types, fields, rules, indexes), then one line per entity "
                + "({\"type\":\"Person\",\"id\":12,\"fields\":{...}}). Consistent (one snapshot) and streaming "
                + "(constant memory). Opens the database read-only and writes nothing to it. keel import reads "
                + "the output back; keel-cli/README.md describes the format."},
        footerHeading = "%nExamples:%n",
        footer = {"  keel export keel-data -o keel-data.jsonl",
            "  keel export keel-data | gzip > keel-data.jsonl.gz",
            "  # while another process has keel-data open:",
            "  keel backup keel-data copy && keel export copy -o keel-data.jsonl"},
        exitCodeListHeading = ExitCodes.HEADING,
        exitCodeList = {ExitCodes.L_OK, "1:exported, but recovery skipped damaged records (the export is incomplete)",
            ExitCodes.L_UNUSABLE, ExitCodes.L_LOCKED, ExitCodes.L_MISSING, ExitCodes.L_IO, ExitCodes.L_USAGE,
            ExitCodes.L_INTERNAL})
final class ExportCommand extends KeelCommand {
    private static final int CHECK_EVERY = 4096;

    @ParentCommand
    KeelCli parent;

    @Parameters(index = "0", paramLabel = "DIR", description = "the database directory")
    Path dir;

    @Option(names = {"-o", "--output"}, paramLabel = "FILE", description = "write to FILE instead of stdout"
            + " (replaced if it exists)")
    Path output;

    /** Findings that mean a READ_ONLY open could not read everything that was committed. */
    private static final java.util.Set<RecoveryReport.EventKind> LOSSES = java.util.EnumSet.of(
            RecoveryReport.EventKind.CHECKSUM_MISMATCH, RecoveryReport.EventKind.CORRUPT_RECORD_SKIPPED,
            RecoveryReport.EventKind.RECORD_NOT_APPLIED, RecoveryReport.EventKind.LOG_GAP,
            RecoveryReport.EventKind.CHECKPOINT_SKIPPED);

    @Override
    public Integer call() throws IOException {
        Path parentDir = output == null ? null : output.toAbsolutePath().getParent();
        if (parentDir != null && !Files.isDirectory(parentDir)) {
            throw new ParameterException(spec.commandLine(), "--output " + output + ": directory " + parentDir
                    + " does not exist");
        }
        long start = System.nanoTime();
        try (KeelDb db = openExisting(dir, RecoveryMode.READ_ONLY)) {
            RecoveryReport report = db.recoveryReport();
            boolean incomplete = report.events().stream().anyMatch(e -> LOSSES.contains(e.kind()));
            Snapshot snapshot = db.snapshot();
            List<EntityType> types = db.schema();
            long total = 0;
            for (EntityType t : types) {
                total += snapshot.count(t.name());
            }
            long written;
            if (output == null && parent.stdout() != null) {
                try {
                    Writer w = new BufferedWriter(new OutputStreamWriter(parent.stdout(), StandardCharsets.UTF_8),
                            1 << 16);
                    written = export(w, snapshot, types, total);
                    w.flush();
                } catch (IOException e) {
                    if (String.valueOf(e.getMessage()).contains("Broken pipe")) {
                        return ExitCodes.OK; // the reader stopped early (keel export DIR | head): not a failure
                    }
                    throw e;
                }
            } else if (output == null) {
                written = export(out(), snapshot, types, total);
                if (out().checkError()) {
                    throw new CliException(ExitCodes.IO_ERROR, "writing the export to stdout failed",
                            "was the pipe closed or the disk full? Use --output FILE to see the I/O error");
                }
            } else {
                written = exportToFile(snapshot, types, total);
            }
            String summary = String.format("exported %,d entities of %d type%s at LSN %d from %s%s in %s", written,
                    types.size(), types.size() == 1 ? "" : "s", snapshot.lsn(), dir, output == null ? "" : " to " + output,
                    Format.seconds(System.nanoTime() - start));
            if (output == null) {
                err().println(spec.qualifiedName() + ": " + summary);
            } else {
                out().println(summary);
            }
            if (incomplete) {
                warn("the export is incomplete: recovery skipped damaged records (keel recover " + dir
                        + " --mode read-only lists them)");
                return ExitCodes.PROBLEMS;
            }
            return ExitCodes.OK;
        }
    }

    private long exportToFile(Snapshot snapshot, List<EntityType> types, long total) throws IOException {
        boolean done = false;
        try (Writer w = Files.newBufferedWriter(output, StandardCharsets.UTF_8)) {
            long n = export(w, snapshot, types, total);
            done = true;
            return n;
        } finally {
            if (!done) {
                try {
                    Files.deleteIfExists(output);
                } catch (IOException e) {
                    warn("could not remove the incomplete " + output + ": " + e.getMessage());
                }
            }
        }
    }

    private long export(Writer w, Snapshot snapshot, List<EntityType> types, long total) throws IOException {
        long n = 0;
        try (JsonGenerator g = Json.LINES.createGenerator(w);
                Progress progress = Progress.start(err(), "exported", total, false)) {
            g.disable(JsonGenerator.Feature.AUTO_CLOSE_TARGET);
            g.setRootValueSeparator(null);
            ExportFormat.writeHeader(g, snapshot.lsn(), types);
            for (EntityType t : ExportFormat.lineOrder(types)) {
                Map<String, FieldType> fieldTypes = new HashMap<>();
                for (Field f : t.fields()) {
                    fieldTypes.put(f.name(), f.type());
                }
                try (Stream<Entity> entities = snapshot.scan(t.name())) {
                    for (Iterator<Entity> it = entities.iterator(); it.hasNext();) {
                        ExportFormat.writeEntity(g, it.next(), fieldTypes);
                        n++;
                        if (n % CHECK_EVERY == 0) {
                            progress.update(n, n);
                            if (w == out() && out().checkError()) {
                                return n;
                            }
                        }
                    }
                }
            }
            g.flush();
            progress.update(n, n);
        } catch (UncheckedIOException e) {
            throw e.getCause();
        }
        return n;
    }
}

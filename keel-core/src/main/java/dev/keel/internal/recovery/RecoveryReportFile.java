package dev.keel.internal.recovery;

import dev.keel.RecoveryReport;
import dev.keel.fault.CrashHook;
import dev.keel.fault.CrashPoint;
import dev.keel.internal.io.FileIO;
import dev.keel.internal.io.StorageFile;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Instant;

/**
 * Writes the report of a recovery that changed something to {@code recovery.json} beside the data,
 * so an operator can see what was repaired after the fact. Reports are rotated, never overwritten:
 * the previous report is copied to {@code recovery-<n>.json} (n one above the highest kept) before
 * the new one replaces it by a rename, and of the rotated copies the newest {@link #KEPT} stay (the
 * oldest are deleted).
 *
 * <p>Installed like every other file: temporary file, sync, rename, directory sync. A crash in
 * between leaves either the old report or the new one; a leftover {@code .tmp} is removed by the
 * next recovery. The report is informational: recovery's decisions never read it back. It is
 * written after the repairs it describes, so a crash between a repair and the report loses the
 * report (not the repair: the cut bytes are in quarantine/, and the next open finds nothing to
 * repair).
 *
 * <p>Format (JSON, UTF-8): {@code {"format": 1, "time": ISO-8601, "mode", "checkpointLsn",
 * "checkpointFile", "segmentsRead", "bytesRead", "recordsReplayed", "transactionsReplayed",
 * "transactionsRolledBack", "lastLsn", "events": [{"kind", "file", "offset", "lsn", "length",
 * "quarantineFile", "detail"}]}}; absent paths are {@code null}.
 */
final class RecoveryReportFile {
    static final String NAME = "recovery.json";
    static final int FORMAT = 1;
    /** Rotated reports kept besides {@code recovery.json}. */
    static final int KEPT = 10;

    private RecoveryReportFile() {
    }

    static Path write(FileIO io, Path dir, RecoveryReport report, CrashHook crash) throws IOException {
        Path target = dir.resolve(NAME);
        Path temp = dir.resolve(NAME + ".tmp");
        byte[] json = toJson(report, Instant.now()).getBytes(StandardCharsets.UTF_8);
        try (StorageFile f = io.openForWrite(temp)) {
            f.truncate(0);
            f.write(ByteBuffer.wrap(json), 0);
            crash.reached(CrashPoint.RECOVERY_MID_REPORT_WRITE);
            f.sync();
        }
        if (io.exists(target)) {
            keepPrevious(io, dir, target);
        }
        io.move(temp, target); // replaces the previous report atomically: one of the two is always there
        crash.reached(CrashPoint.RECOVERY_AFTER_REPORT_RENAME);
        io.syncDirectory(dir);
        return target;
    }

    /** Copies the current report to {@code recovery-<n>.json} (n = highest + 1), installed like any file. */
    private static void keepPrevious(FileIO io, Path dir, Path current) throws IOException {
        java.util.TreeMap<Integer, Path> rotated = rotated(io, dir);
        int n = rotated.isEmpty() ? 1 : rotated.lastKey() + 1;
        byte[] old;
        try (StorageFile f = io.openForRead(current)) {
            long size = f.size();
            if (size > 64L * 1024 * 1024) {
                return; // not a report KeelDB wrote; leave it to be replaced rather than copy it
            }
            old = new byte[(int) size];
            f.readFully(ByteBuffer.wrap(old), 0);
        }
        Path kept = dir.resolve("recovery-" + n + ".json");
        Path temp = dir.resolve("recovery-" + n + ".json.tmp");
        try (StorageFile f = io.openForWrite(temp)) {
            f.truncate(0);
            f.write(ByteBuffer.wrap(old), 0);
            f.sync();
        }
        io.move(temp, kept);
        rotated.put(n, kept);
        while (rotated.size() > KEPT) {
            io.delete(rotated.pollFirstEntry().getValue());
        }
    }

    /** The rotated reports by number. */
    static java.util.TreeMap<Integer, Path> rotated(FileIO io, Path dir) throws IOException {
        java.util.TreeMap<Integer, Path> out = new java.util.TreeMap<>();
        for (Path p : io.list(dir)) {
            String name = p.getFileName().toString();
            if (name.startsWith("recovery-") && name.endsWith(".json")) {
                try {
                    out.put(Integer.parseInt(name.substring("recovery-".length(), name.length() - ".json".length())), p);
                } catch (NumberFormatException e) {
                    // not one of ours; left alone
                }
            }
        }
        return out;
    }

    static String toJson(RecoveryReport r, Instant time) {
        StringBuilder b = new StringBuilder(512);
        b.append("{\n  \"format\": ").append(FORMAT)
                .append(",\n  \"time\": ").append(quote(time.toString()))
                .append(",\n  \"mode\": ").append(quote(r.mode().name()))
                .append(",\n  \"checkpointLsn\": ").append(r.checkpointLsn())
                .append(",\n  \"checkpointFile\": ").append(quote(r.checkpointFile()))
                .append(",\n  \"segmentsRead\": ").append(r.segmentsRead())
                .append(",\n  \"bytesRead\": ").append(r.bytesRead())
                .append(",\n  \"recordsReplayed\": ").append(r.recordsReplayed())
                .append(",\n  \"transactionsReplayed\": ").append(r.transactionsReplayed())
                .append(",\n  \"transactionsRolledBack\": ").append(r.transactionsRolledBack())
                .append(",\n  \"lastLsn\": ").append(r.lastLsn())
                .append(",\n  \"events\": [");
        String sep = "\n";
        for (RecoveryReport.Event e : r.events()) {
            b.append(sep).append("    {\"kind\": ").append(quote(e.kind().name()))
                    .append(", \"file\": ").append(quote(e.file()))
                    .append(", \"offset\": ").append(e.offset())
                    .append(", \"lsn\": ").append(e.lsn())
                    .append(", \"length\": ").append(e.length())
                    .append(", \"quarantineFile\": ").append(quote(e.quarantineFile()))
                    .append(", \"detail\": ").append(quote(e.detail())).append('}');
            sep = ",\n";
        }
        return b.append(r.events().isEmpty() ? "]\n}\n" : "\n  ]\n}\n").toString();
    }

    private static String quote(Object value) {
        if (value == null) {
            return "null";
        }
        String s = value.toString();
        StringBuilder b = new StringBuilder(s.length() + 2).append('"');
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            switch (c) {
                case '"' -> b.append("\\\"");
                case '\\' -> b.append("\\\\");
                case '\n' -> b.append("\\n");
                case '\r' -> b.append("\\r");
                case '\t' -> b.append("\\t");
                default -> {
                    if (c < 0x20) {
                        b.append(String.format("\\u%04x", (int) c));
                    } else {
                        b.append(c);
                    }
                }
            }
        }
        return b.append('"').toString();
    }
}

package dev.keel.tools;

import dev.keel.CorruptionException;
import dev.keel.FieldType;
import dev.keel.FormatVersionException;
import dev.keel.RecoveryMode;
import dev.keel.RecoveryReport;
import dev.keel.StorageException;
import dev.keel.fault.CrashHook;
import dev.keel.internal.checkpoint.CheckpointReader;
import dev.keel.internal.codec.ByteReader;
import dev.keel.internal.codec.MalformedDataException;
import dev.keel.internal.engine.ProcessLock;
import dev.keel.internal.entity.EntityCodec;
import dev.keel.internal.entity.Schema;
import dev.keel.internal.entity.SchemaCodec;
import dev.keel.internal.entity.StoredType;
import dev.keel.internal.io.FileIO;
import dev.keel.internal.io.NioFileIO;
import dev.keel.internal.recovery.Recovery;
import dev.keel.internal.store.Store;
import dev.keel.internal.wal.SegmentScanner.Frame;
import dev.keel.internal.wal.WalRecord;
import dev.keel.tools.VerifyReport.Finding;
import dev.keel.tools.VerifyReport.Severity;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * Full, read-only verification of a database directory: what {@code keel verify} runs.
 *
 * <p>What is checked: every checkpoint file (not only the newest) is read in full with every block
 * checksum verified, and every entity in it is decoded under its stored type; every log segment is
 * read in full, every record frame's checksum verified, every schema record and every PUT decoded
 * under the schema in force at its LSN; the log is then judged by NORMAL recovery itself, run as a
 * simulation on a storage layer that drops every change ({@link DryRunFileIO}), so a torn tail it
 * would cut is a NOTE and anything it would refuse (damage followed by valid records, a damaged
 * newest checkpoint, a gap in the LSN sequence above the checkpoint) is a PROBLEM, by the engine's
 * own rules; references of the final state are checked against existing entities (a dangling one
 * is a PROBLEM: foreign keys make it impossible to write); leftover temporary files are noted. An unknown format version, or a
 * directory of which no file can be read, is UNUSABLE.
 *
 * <p>Ordering: a shared lock is taken for the whole run, so no writer can change the files while
 * they are read; it is refused ({@link dev.keel.DatabaseLockedException}) while a process, or an
 * open {@link dev.keel.KeelDb} in this JVM, holds the database.
 *
 * <p>Durability: nothing is written, not one byte: no repair, no recovery report, no quarantine, and
 * no lock file when there is none (a shared lock on an absent lock file is not taken at all).
 *
 * <p>Thread-safe: each call works on its own state.
 */
public final class Verifier {
    private Verifier() {
    }

    /**
     * Reads every checkpoint and log segment in full, checks every checksum and the structure
     * (schema decodes, every entity decodes under its type, references), and never writes a byte.
     *
     * @throws dev.keel.DatabaseLockedException another process holds the database for writing
     * @throws IllegalArgumentException the directory does not exist or is not a KeelDB directory
     * @throws StorageException a file could not be read
     */
    @SuppressWarnings("try") // the lock is held for the block, not used in it
    public static VerifyReport verify(Path directory) {
        Objects.requireNonNull(directory, "directory");
        FileIO io = NioFileIO.INSTANCE;
        try {
            DbDirectory.require(io, directory, "database directory");
            try (ProcessLock lock = ProcessLock.acquire(io, directory, true)) {
                return new Run(io, directory).run();
            }
        } catch (IOException e) {
            throw new StorageException("verify of " + directory + " could not read the database files: " + e
                    + ". Nothing was changed; check the files' permissions and the disk, then run it again", e);
        }
    }

    /** One verification. */
    private static final class Run {
        /** Findings of one kind listed one by one before a summary (decode failures, dangling references). */
        private static final int LISTED = 20;

        private final FileIO io;
        private final Path dir;
        private final List<Finding> findings = new ArrayList<>();
        private int checkpointsRead;
        private int segmentsRead;
        private long bytesRead;
        private long recordsChecked;
        private long entitiesChecked;
        private int readableFiles;
        private int undecodable;
        private boolean unusable;
        /** The newest checkpoint that reads intact, or null: the schema the log starts from. */
        private Store base;
        private Path lastSegmentWithFrames;
        /** Offset of the last valid record of the log (in {@link #lastSegmentWithFrames}). */
        private long lastFrameOffset;

        Run(FileIO io, Path dir) {
            this.io = io;
            this.dir = dir;
        }

        VerifyReport run() throws IOException {
            DbDirectory d = DbDirectory.list(io, dir);
            for (Path t : d.tempFiles()) {
                add(Severity.NOTE, t, 0, "leftover temporary file of an interrupted checkpoint, segment preparation or"
                        + " report write; NORMAL open deletes it. Harmless, nothing to do");
            }
            for (Path o : d.otherFiles()) {
                add(Severity.NOTE, o, -1, "file that is not part of a KeelDB database; recovery ignores it. Move it"
                        + " elsewhere if it is yours");
            }
            checkCheckpoints(d.checkpoints());
            checkLog(d.segments());
            int files = d.checkpoints().size() + d.segments().size();
            if (files > 0 && readableFiles == 0 && !unusable) {
                add(Severity.UNUSABLE, dir, -1, "no checkpoint and no log segment can be read: nothing of the database"
                        + " is recoverable. Restore a backup");
            }
            if (!unusable) {
                checkReferences(judgeLog());
            }
            return new VerifyReport(dir, findings, checkpointsRead, segmentsRead, bytesRead, recordsChecked,
                    entitiesChecked);
        }

        private void checkCheckpoints(List<Path> checkpoints) throws IOException {
            for (int i = 0; i < checkpoints.size(); i++) {
                Path c = checkpoints.get(i);
                boolean newest = i == checkpoints.size() - 1;
                CheckpointReader.Loaded loaded;
                try {
                    loaded = CheckpointReader.read(io, c);
                } catch (FormatVersionException e) {
                    unsupported(c, e);
                    continue;
                } catch (CorruptionException e) {
                    checkpointsRead++;
                    bytesRead += Files.size(c);
                    add(Severity.PROBLEM, c, e.offset(), newest
                            ? "the newest checkpoint is damaged: " + Advice.what(e) + ". " + Advice.recover(dir)
                            : "an older checkpoint is damaged: " + Advice.what(e) + ". NORMAL open uses the newer"
                                    + " checkpoint and never reads this one, but damage on disk points at failing"
                                    + " storage: check the disk, and take a backup");
                    continue;
                }
                checkpointsRead++;
                readableFiles++;
                bytesRead += loaded.sizeInBytes();
                checkEntities(c, loaded.store());
                base = loaded.store();
            }
        }

        private void checkEntities(Path file, Store store) {
            for (StoredType t : store.schema().types()) {
                Store.Cursor c = store.scan(t.typeId(), 0);
                while (c.next()) {
                    entitiesChecked++;
                    try {
                        EntityCodec.decode(t, c.id(), c.value());
                    } catch (MalformedDataException | IllegalArgumentException e) {
                        undecodable(file, -1, "entity " + t.name() + "#" + c.id() + " in this checkpoint does not"
                                + " decode under its stored type although the block checksum verifies (" + e.getMessage()
                                + ")");
                    }
                }
            }
        }

        private void checkLog(List<Path> segments) throws IOException {
            Schema schema = base != null ? base.schema() : Schema.EMPTY;
            // Every schema version seen: a PUT_V record decodes under the version it names.
            java.util.Map<Integer, Schema> versions = new java.util.HashMap<>();
            versions.put(schema.version(), schema);
            long checkpointLsn = base != null ? base.lsn() : 0;
            for (Path s : segments) {
                LogFile log = LogFile.read(io, s);
                segmentsRead++;
                bytesRead += log.data().length;
                if (log.headerError() != null) {
                    if (log.unsupportedVersion()) {
                        unsupported(s, log.headerError());
                    } else {
                        add(Severity.PROBLEM, s, log.headerError().offset(), "the log segment header is damaged: "
                                + Advice.what(log.headerError()) + ". " + Advice.recover(dir));
                    }
                    continue;
                }
                readableFiles++;
                if (log.hasFrames()) {
                    lastSegmentWithFrames = s;
                    lastFrameOffset = log.frames().get(log.frames().size() - 1).offset();
                }
                for (Frame f : log.frames()) {
                    recordsChecked++;
                    if (f.record() instanceof WalRecord.SchemaChange sc) {
                        try {
                            Schema decoded = SchemaCodec.decode(new ByteReader(sc.schema()));
                            versions.put(decoded.version(), decoded);
                            if (f.lsn() > checkpointLsn) {
                                schema = decoded;
                            }
                        } catch (MalformedDataException | IllegalArgumentException e) {
                            undecodable(s, f.offset(), "schema record (LSN " + f.lsn() + ") does not decode although"
                                    + " its checksum verifies (" + e.getMessage() + ")");
                        }
                    } else if (f.record() instanceof WalRecord.Put p && (p.versioned() ? versions.get(p.schemaVersion())
                            : schema) != null && (p.versioned() ? versions.get(p.schemaVersion()) : schema)
                                    .byId(p.typeId()) != null) {
                        StoredType t = (p.versioned() ? versions.get(p.schemaVersion()) : schema).byId(p.typeId());
                        entitiesChecked++;
                        try {
                            EntityCodec.decode(t, p.id(), p.entity());
                        } catch (MalformedDataException | IllegalArgumentException e) {
                            undecodable(s, f.offset(), "PUT record (LSN " + f.lsn() + ") of entity " + t.name() + "#"
                                    + p.id() + " does not decode under its stored type although its checksum verifies ("
                                    + e.getMessage() + ")");
                        }
                    }
                }
            }
        }

        /**
         * Runs NORMAL recovery as a simulation and reports what it would do; when it would refuse,
         * runs READ_ONLY recovery for the rest of the picture. Returns the state recovery reaches.
         */
        private Store judgeLog() throws IOException {
            try {
                Recovery.Result r = DryRunFileIO.simulateNormalOpen(io, dir);
                for (RecoveryReport.Event e : r.report().events()) {
                    if (e.kind().informational()) {
                        add(Severity.NOTE, e.file(), -1, e.detail() + " (harmless: nothing to do)");
                        continue;
                    }
                    switch (e.kind()) {
                        case TEMP_FILE_REMOVED -> {
                            // listed from the directory already
                        }
                        case TORN_TAIL_CUT, INCOMPLETE_TRANSACTION_DISCARDED -> add(Severity.NOTE, e.file(), e.offset(),
                                "NORMAL open will cut " + e.length() + " bytes at offset " + e.offset() + " and keep"
                                        + " them in quarantine/ (" + e.detail() + "). They are a write a crash"
                                        + " interrupted, never acknowledged to a caller: nothing to do");
                        default -> add(Severity.PROBLEM, e.file(), e.offset(), e.detail() + ". " + Advice.recover(dir));
                    }
                }
                return r.store();
            } catch (FormatVersionException e) {
                unsupported(e.file(), e);
                return null;
            } catch (CorruptionException e) {
                if (!reported(e.file(), e.offset())) {
                    add(Severity.PROBLEM, e.file(), e.offset(), Advice.what(e) + ". " + Advice.recover(dir));
                }
            }
            Recovery.Result r;
            try {
                r = Recovery.run(io, dir, RecoveryMode.READ_ONLY, CrashHook.NONE);
            } catch (CorruptionException e) {
                add(Severity.UNUSABLE, e.file(), e.offset(), "not even READ_ONLY recovery can read the database: "
                        + Advice.what(e) + ". Restore a backup");
                return null;
            }
            // Salvage reports the records lost to damage as a gap right after it, and the rest of the
            // transaction the damage hit as discarded right before or after it: all part of that damage.
            java.util.Set<RecoveryReport.EventKind> damage = java.util.EnumSet.of(
                    RecoveryReport.EventKind.CORRUPT_RECORD_SKIPPED, RecoveryReport.EventKind.CHECKSUM_MISMATCH,
                    RecoveryReport.EventKind.RECORD_NOT_APPLIED, RecoveryReport.EventKind.TORN_TAIL_CUT);
            List<String> damageEnds = new ArrayList<>();
            List<String> damageStarts = new ArrayList<>();
            for (RecoveryReport.Event e : r.report().events()) {
                if (damage.contains(e.kind())) {
                    damageEnds.add(e.file().getFileName() + "@" + (e.offset() + e.length()));
                    damageStarts.add(e.file().getFileName() + "@" + e.offset());
                }
            }
            for (RecoveryReport.Event e : r.report().events()) {
                if (e.kind() == RecoveryReport.EventKind.TEMP_FILE_REMOVED || e.kind().informational()
                        || reported(e.file(), e.offset())
                        || (e.kind() == RecoveryReport.EventKind.LOG_GAP
                                && damageEnds.contains(e.file().getFileName() + "@" + e.offset()))
                        || (e.kind() == RecoveryReport.EventKind.INCOMPLETE_TRANSACTION_DISCARDED
                                && (damageStarts.contains(e.file().getFileName() + "@" + (e.offset() + e.length()))
                                        || damageEnds.contains(e.file().getFileName() + "@" + e.offset())))) {
                    continue;
                }
                boolean tail = (e.kind() == RecoveryReport.EventKind.TORN_TAIL_CUT
                        || e.kind() == RecoveryReport.EventKind.INCOMPLETE_TRANSACTION_DISCARDED)
                        && e.file().equals(lastSegmentWithFrames) && e.offset() + e.length() > lastFrameOffset;
                if (tail) {
                    add(Severity.NOTE, e.file(), e.offset(), e.detail() + " (at the end of the log: a write a crash"
                            + " interrupted, cut by recovery once the damage above is dealt with)");
                } else {
                    add(Severity.PROBLEM, e.file(), e.offset(), e.detail() + ". " + Advice.recover(dir));
                }
            }
            return r.store();
        }

        private void checkReferences(Store state) {
            if (state == null) {
                return;
            }
            Schema schema = state.schema();
            long dangling = 0;
            for (StoredType t : schema.types()) {
                if (t.fields().stream().noneMatch(f -> f.type() == FieldType.REFERENCE)) {
                    continue;
                }
                Store.Cursor c = state.scan(t.typeId(), 0);
                while (c.next()) {
                    Map<String, Object> values;
                    try {
                        values = EntityCodec.decodeValues(t, c.value());
                    } catch (MalformedDataException | IllegalArgumentException e) {
                        continue; // reported where the bytes were read
                    }
                    for (dev.keel.Field f : t.fields()) {
                        if (f.type() != FieldType.REFERENCE || !(values.get(f.name()) instanceof Long id)) {
                            continue;
                        }
                        StoredType target = schema.byName(f.target());
                        if (target != null && state.get(target.typeId(), id) != null) {
                            continue;
                        }
                        if (++dangling <= LISTED) {
                            add(Severity.PROBLEM, dir, -1, t.name() + "#" + c.id() + "." + f.name() + " references "
                                    + f.target() + "#" + id + ", which does not exist"
                                    + (target == null ? " (no type " + f.target() + " is stored)" : "")
                                    + ": a broken foreign key, which KeelDB refuses to write; it was written by a"
                                    + " version without foreign keys or comes from damage. Updates of this entity"
                                    + " fail until the reference is fixed: set it to an existing entity or clear it");
                        }
                    }
                }
            }
            if (dangling > LISTED) {
                add(Severity.PROBLEM, dir, -1, (dangling - LISTED) + " more dangling references not listed (" + dangling
                        + " in all)");
            }
        }

        private void unsupported(Path file, CorruptionException e) {
            add(Severity.UNUSABLE, file, e.offset(), Advice.what(e) + ". This build cannot read the database; use the"
                    + " KeelDB version that wrote it. Do not run `keel recover --mode force` with this build: it would"
                    + " set the file aside in quarantine/ as damaged");
        }

        private void undecodable(Path file, long offset, String what) {
            if (++undecodable <= LISTED) {
                add(Severity.PROBLEM, file, offset, what + ". Reading it back will fail: the bytes were wrong before"
                        + " their checksum was computed (a bug or a memory error, not disk damage). Restore a backup,"
                        + " or rewrite the entity from the application");
            } else if (undecodable == LISTED + 1) {
                add(Severity.PROBLEM, dir, -1, "more records or entities do not decode; only the first " + LISTED
                        + " are listed");
            }
        }

        private boolean reported(Path file, long offset) {
            for (Finding f : findings) {
                if (f.offset() == offset && f.file().getFileName().equals(file.getFileName())) {
                    return true;
                }
            }
            return false;
        }

        private void add(Severity severity, Path file, long offset, String message) {
            unusable |= severity == Severity.UNUSABLE;
            findings.add(new Finding(severity, file, offset, message));
        }
    }
}

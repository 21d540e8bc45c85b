package dev.keel.tools;

import dev.keel.RecoveryMode;
import dev.keel.RecoveryReport;
import dev.keel.StorageException;
import dev.keel.fault.CrashHook;
import dev.keel.internal.codec.ByteReader;
import dev.keel.internal.engine.ProcessLock;
import dev.keel.internal.entity.StoredType;
import dev.keel.internal.entity.SystemTypes;
import dev.keel.internal.io.FileIO;
import dev.keel.internal.io.NioFileIO;
import dev.keel.internal.io.StorageFile;
import dev.keel.internal.recovery.Recovery;
import dev.keel.internal.store.Store;
import dev.keel.internal.wal.SegmentScanner.Frame;
import dev.keel.internal.wal.WalRecord;
import dev.keel.tools.DatabaseInfo.CheckpointInfo;
import dev.keel.tools.DatabaseInfo.SegmentInfo;
import java.io.EOFException;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * What is in a database directory, read-only: what {@code keel inspect} prints.
 *
 * <p>Ordering: no lock is taken, so this works on a database another process (or an open
 * {@link dev.keel.KeelDb} in this JVM) is writing. The files are listed, the lock holder probed
 * ({@link ProcessLock#probe}, which keeps no lock), the state recovered in memory with READ_ONLY
 * recovery, and every segment read once more for its own numbers. A file that vanishes meanwhile
 * (a checkpoint retiring segments) restarts the whole reading, a bounded number of times. The
 * answer is a snapshot: on a live database it may be out of date as soon as it is returned, and
 * the record being written at that moment can show as a torn tail in the notes.
 *
 * <p>Durability: nothing is written, not even a lock file. Thread-safe.
 */
public final class Inspector {
    private static final int ATTEMPTS = 5;
    private static final List<String> KINDS = List.of("PUT", "DELETE", "COMMIT", "SCHEMA");

    private Inspector() {
    }

    /**
     * Describes the database without taking its lock or writing anything, so it also works on a
     * database another process has open (the answer is then a snapshot that may change).
     *
     * @throws IllegalArgumentException the directory does not exist or is not a KeelDB directory
     * @throws StorageException a file could not be read
     */
    public static DatabaseInfo inspect(Path directory) {
        Objects.requireNonNull(directory, "directory");
        FileIO io = NioFileIO.INSTANCE;
        try {
            DbDirectory.require(io, directory, "database directory");
            for (int attempt = 1; ; attempt++) {
                try {
                    return inspectOnce(io, directory);
                } catch (NoSuchFileException | EOFException changed) {
                    if (attempt == ATTEMPTS) {
                        throw changed;
                    }
                }
            }
        } catch (IOException e) {
            throw new StorageException("inspect of " + directory + " could not read the database files: " + e
                    + ". Nothing was changed; if the database is being written, run it again, else check the files'"
                    + " permissions and the disk", e);
        }
    }

    private static DatabaseInfo inspectOnce(FileIO io, Path dir) throws IOException {
        DbDirectory d = DbDirectory.list(io, dir);
        String holder = ProcessLock.probe(io, dir).orElse(null);
        Recovery.Result recovered = Recovery.run(io, dir, RecoveryMode.READ_ONLY, CrashHook.NONE);
        Store state = recovered.store();
        long checkpointLsn = recovered.report().checkpointLsn();
        List<String> notes = new ArrayList<>();
        for (Path t : d.tempFiles()) {
            notes.add(t.getFileName() + ": leftover temporary file of an interrupted write; NORMAL open deletes it");
        }
        for (Path o : d.otherFiles()) {
            notes.add(o.getFileName() + ": not a KeelDB file; recovery ignores it");
        }
        for (RecoveryReport.Event e : recovered.report().events()) {
            if (e.kind() != RecoveryReport.EventKind.TEMP_FILE_REMOVED) {
                notes.add(e.kind() + " " + e.file().getFileName() + " at offset " + e.offset() + ": " + e.detail()
                        + " (run `keel verify " + dir + "` for the verdict)");
            }
        }

        Map<String, Long> perKind = new LinkedHashMap<>();
        KINDS.forEach(k -> perKind.put(k, 0L));
        List<SegmentInfo> segments = new ArrayList<>();
        long lastCommit = checkpointLsn;
        int version = 0;
        for (Path s : d.segments()) {
            LogFile log = LogFile.read(io, s);
            for (Frame f : log.frames()) {
                if (f.lsn() > checkpointLsn) {
                    // PUT and PUT_V (a put naming its schema version) both count as PUT.
                    String kind = f.record() instanceof WalRecord.Put ? "PUT" : KINDS.get(f.record().kind() - WalRecord.PUT);
                    perKind.merge(kind, 1L, Long::sum);
                }
                if (f.record() instanceof WalRecord.Commit) {
                    lastCommit = Math.max(lastCommit, f.lsn());
                }
            }
            segments.add(new SegmentInfo(s.getFileName().toString(), log.id(), log.data().length, log.firstLsn(),
                    log.lastLsn(), log.frames().size()));
            version = headerVersion(log.data(), version);
        }

        CheckpointInfo checkpoint = null;
        Path newest = d.newestCheckpoint();
        if (newest != null) {
            BasicFileAttributes a = Files.readAttributes(newest, BasicFileAttributes.class);
            Instant written = a.lastModifiedTime().toInstant();
            checkpoint = new CheckpointInfo(newest.getFileName().toString(), DbDirectory.checkpointLsn(newest),
                    a.size(), written, Duration.between(written, Instant.now()));
            version = headerVersion(readHeader(io, newest), version);
        }

        Map<String, Long> perType = new LinkedHashMap<>();
        for (StoredType t : state.schema().types()) {
            long n = state.count(t.typeId());
            if (n > 0 || !SystemTypes.isSystem(t.name())) {
                perType.put(t.name(), n);
            }
        }
        return new DatabaseInfo(dir.toString(), version, checkpoint, List.copyOf(segments),
                Collections.unmodifiableMap(perType), Collections.unmodifiableMap(perKind),
                lastCommit, holder, recoveryReport(io, dir), quarantineFiles(io, d), List.copyOf(notes));
    }

    /** The format version field of a checkpoint or segment header (both at offset 8), else {@code otherwise}. */
    private static int headerVersion(byte[] header, int otherwise) {
        return header.length >= 12 ? ByteReader.getInt(header, 8) : otherwise;
    }

    private static byte[] readHeader(FileIO io, Path file) throws IOException {
        try (StorageFile f = io.openForRead(file)) {
            ByteBuffer b = ByteBuffer.allocate((int) Math.min(64, f.size()));
            f.readFully(b, 0);
            return b.array();
        }
    }

    private static String recoveryReport(FileIO io, Path dir) throws IOException {
        Path report = dir.resolve(DbDirectory.RECOVERY_REPORT);
        if (!io.exists(report)) {
            return null;
        }
        return new String(LogFile.readAll(io, report), StandardCharsets.UTF_8);
    }

    private static List<String> quarantineFiles(FileIO io, DbDirectory d) throws IOException {
        if (!Files.isDirectory(d.quarantine())) {
            return List.of();
        }
        return io.list(d.quarantine()).stream().map(p -> p.getFileName().toString()).toList();
    }
}

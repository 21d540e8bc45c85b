package dev.keel.testkit;

import dev.keel.internal.io.FileIO;
import dev.keel.internal.io.LockHandle;
import dev.keel.internal.io.NioFileIO;
import dev.keel.internal.io.StorageFile;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Objects;
import java.util.Random;
import java.util.Set;

/**
 * A hostile {@link FileIO} for tests: it wraps a real one (by default {@link NioFileIO}) on real
 * files and can simulate a power loss, fail the n-th I/O operation, run out of disk space and drop
 * dirty data when a sync fails. After a simulated power loss the directory holds what a real disk
 * could hold after one, so a test reopens it with a plain {@code NioFileIO} and checks recovery.
 *
 * <p>Durability model: the content of a file is durable up to its last successful
 * {@link StorageFile#sync}, through any handle; every later write and truncation is recorded in
 * the file's undo log (old bytes and old length) before it happens. A creation, deletion or rename
 * is durable once {@link #syncDirectory} of its parent directory (for a rename: the target's
 * directory) succeeded; until then it is recorded in a directory log, together with the content
 * of a deleted or replaced file (kept in memory). Files and directory entries this layer never
 * touched count as durable, so do all files after {@link #powerLoss} and {@link #reset}.
 *
 * <p>Power loss ({@link #powerLoss(PowerLossOptions)}): every open file and lock is closed and
 * dead, and this layer refuses all operations until {@link #reset()}. Then the unsynced directory
 * changes are undone newest first (created files are deleted, renames moved back with a replaced
 * target restored, deleted files restored), and each file's unsynced writes and truncations are
 * undone newest first, except that one chosen file may keep a prefix of them with its last kept
 * write torn (see {@link PowerLossOptions}).
 *
 * <p>Faults: a {@link FaultPlan} fails the n-th operation of some kinds, on some paths, once or
 * from then on; {@link #ioCount()} counts operations so a test can rerun a scenario failing at each
 * one. {@link #diskFullAfterBytes} lets only so many more bytes be written: the write that crosses
 * the limit writes the prefix that fits and throws "No space left on device", as ENOSPC does. With
 * {@link #dropDirtyDataOnFailedSync} a failed sync undoes the file's unsynced writes at once and
 * marks it clean, as Linux does with pages whose writeback failed, so a retried sync "succeeds"
 * without the data.
 *
 * <p>Limits: only the order of operations is modelled, not time; a power loss never keeps an
 * unsynced write of a file other than the chosen one, nor reorders writes within a file; the
 * creation of directories is durable at once; {@link LockHandle#describeHolder} content is never
 * reverted; renames across directories are durable when the target's directory is synced.
 *
 * <p>Thread-safety: all methods, including those of the files it opened, synchronize on this
 * object, so concurrent callers see each operation as atomic and the fault counts are exact.
 */
public final class FaultyFileIO implements FileIO {
    private final FileIO delegate;
    private final FaultInjector faults = new FaultInjector();
    private final FileTable files = new FileTable();
    private final DirectoryLog directoryLog = new DirectoryLog();
    private final Set<FaultyStorageFile> openFiles = new HashSet<>();
    private final Set<FaultyLock> locks = new HashSet<>();
    private boolean poweredOff;
    private LastWrite lastWrite;
    private boolean dropDirtyDataOnFailedSync;

    /** A faulty layer over {@link NioFileIO#INSTANCE}. */
    public FaultyFileIO() {
        this(NioFileIO.INSTANCE);
    }

    /** A faulty layer over {@code delegate}, which must work on real paths. */
    public FaultyFileIO(FileIO delegate) {
        this.delegate = Objects.requireNonNull(delegate, "delegate");
    }

    // ---- configuration and inspection ------------------------------------------------------

    /** Arms {@code plan}, replacing any armed plan; its count starts at zero now. */
    public synchronized void arm(FaultPlan plan) {
        faults.arm(Objects.requireNonNull(plan, "plan"));
    }

    /** Removes the armed plan, if any. */
    public synchronized void disarm() {
        faults.arm(null);
    }

    /** Operations of all kinds since construction or {@link #reset()}, failed ones included. */
    public synchronized long ioCount() {
        return faults.total();
    }

    /** Operations of kind {@code operation} since construction or {@link #reset()}. */
    public synchronized long ioCount(IoOp operation) {
        return faults.count(operation);
    }

    /** Operations the armed plan has counted (matching kind and path) since it was armed. */
    public synchronized long planMatches() {
        return faults.planMatches();
    }

    /** How many operations failed by plan since construction or {@link #reset()}. */
    public synchronized long faultsInjected() {
        return faults.faultsInjected();
    }

    /** After {@code bytes} more bytes are written, writes fail with "No space left on device". */
    public synchronized void diskFullAfterBytes(long bytes) {
        faults.limitDiskSpace(bytes);
    }

    /** Lifts the disk-space limit. */
    public synchronized void freeSpace() {
        faults.unlimitDiskSpace();
    }

    /** Whether a failed sync undoes the file's unsynced writes and marks it clean; default false. */
    public synchronized void dropDirtyDataOnFailedSync(boolean drop) {
        dropDirtyDataOnFailedSync = drop;
    }

    /** Files with writes or truncations not yet synced, sorted; for "all synced on close" checks. */
    public synchronized List<Path> unsyncedFiles() {
        List<Path> unsynced = new ArrayList<>();
        for (TrackedFile file : files.all()) {
            if (file.hasUnsynced()) {
                unsynced.add(file.path());
            }
        }
        unsynced.sort(null);
        return unsynced;
    }

    public synchronized boolean isPoweredOff() {
        return poweredOff;
    }

    /**
     * A write that reached a file: {@code length} bytes at {@code position}.
     *
     * @param file absolute, normalized path of the file written
     */
    public record LastWrite(Path file, long position, int length) {
    }

    /**
     * The most recent write that put bytes into a file since this layer was created or
     * {@link #reset}, or null. A {@link CrashInjector} uses it to tear the write it interrupts.
     */
    public synchronized LastWrite lastWrite() {
        return lastWrite;
    }

    /** Called by the files of this layer, under its monitor, after bytes reached a file. */
    void recordWrite(Path file, long position, int length) {
        lastWrite = new LastWrite(file, position, length);
    }

    // ---- power loss ------------------------------------------------------------------------

    /** {@link #powerLoss(PowerLossOptions)} with {@link PowerLossOptions#defaults()}. */
    public void powerLoss() throws IOException {
        powerLoss(PowerLossOptions.defaults());
    }

    /**
     * Simulates a power loss as described in the class comment. Afterwards every file and lock
     * opened through this layer fails with "simulated power loss" and this layer refuses all
     * operations until {@link #reset()}; the files on disk may be reopened with any FileIO.
     *
     * @throws IllegalStateException if the power is already off
     * @throws IOException if the real file system fails while the damage is applied
     */
    public synchronized void powerLoss(PowerLossOptions options) throws IOException {
        Objects.requireNonNull(options, "options");
        if (poweredOff) {
            throw new IllegalStateException("the power is already off; call reset() first");
        }
        poweredOff = true;
        openFiles.forEach(FaultyStorageFile::kill);
        openFiles.clear();
        locks.forEach(FaultyLock::kill);
        locks.clear();
        try {
            TrackedFile torn = options.tornFile() == null ? null : files.get(key(options.tornFile()));
            if (options.forgetUnsyncedDirectoryOps()) {
                directoryLog.undoAll(delegate, files);
            }
            Random random = new Random(options.seed());
            for (TrackedFile file : files.all()) {
                if (file.hasUnsynced() && delegate.exists(file.path())) {
                    try (StorageFile target = delegate.openForWrite(file.path())) {
                        revert(file, target, file == torn ? options : null, random);
                    }
                }
            }
        } finally {
            directoryLog.clear();
            files.clear();
        }
    }

    /**
     * Powers back on: accepts operations again and starts afresh, as a new instance would: all
     * files count as durable, counters are zero, no plan is armed, no disk limit is set.
     * {@link #dropDirtyDataOnFailedSync} is kept.
     */
    public synchronized void reset() {
        poweredOff = false;
        lastWrite = null;
        faults.reset();
        directoryLog.clear();
        files.clear();
    }

    /** Undoes {@code file}'s unsynced changes, or with {@code tear} keeps a torn prefix of them. */
    private static void revert(TrackedFile file, StorageFile target, PowerLossOptions tear,
            Random random) throws IOException {
        long before = tear == null ? -1 : tear.tearLastWriteOnly() ? file.bytesBeforeLastWrite() : 0;
        if (before < 0) {
            file.revertAll(target);
            return;
        }
        long extra = tear.keptBytes();
        long kept = before > Long.MAX_VALUE - extra ? Long.MAX_VALUE : before + extra;
        file.revertKeeping(target, kept, tear.tornFill(), random);
    }

    // ---- FileIO ----------------------------------------------------------------------------

    @Override
    public synchronized StorageFile openForWrite(Path path) throws IOException {
        Path key = checkOperation(IoOp.OPEN, path);
        boolean existed = delegate.exists(path);
        StorageFile file = delegate.openForWrite(path);
        TrackedFile tracked = existed ? files.getOrTrack(key) : files.trackNew(key);
        if (!existed) {
            directoryLog.created(key, tracked);
        }
        return track(new FaultyStorageFile(this, file, tracked, key));
    }

    @Override
    public synchronized StorageFile openForRead(Path path) throws IOException {
        Path key = checkOperation(IoOp.OPEN, path);
        StorageFile file = delegate.openForRead(path);
        return track(new FaultyStorageFile(this, file, files.getOrTrack(key), key));
    }

    @Override
    public boolean exists(Path path) {
        return delegate.exists(path);
    }

    @Override
    public synchronized List<Path> list(Path directory) throws IOException {
        checkOperation(IoOp.LIST, directory);
        return delegate.list(directory);
    }

    @Override
    public synchronized void delete(Path path) throws IOException {
        Path key = checkOperation(IoOp.DELETE, path);
        if (!isRegularFile(path)) {
            delegate.delete(path);
            return;
        }
        byte[] content = DirectoryLog.readContent(delegate, path);
        delegate.delete(path);
        TrackedFile deleted = files.getOrTrack(key);
        files.remove(key);
        directoryLog.deleted(key, deleted, content);
    }

    @Override
    public synchronized void move(Path source, Path target) throws IOException {
        Path sourceKey = checkOperation(IoOp.MOVE, source, target);
        Path targetKey = key(target);
        if (sourceKey.equals(targetKey) || !isRegularFile(source)) {
            delegate.move(source, target);
            return;
        }
        boolean replacing = isRegularFile(target);
        byte[] replacedContent = replacing ? DirectoryLog.readContent(delegate, target) : null;
        delegate.move(source, target);
        TrackedFile moved = files.getOrTrack(sourceKey);
        TrackedFile replaced = replacing ? files.getOrTrack(targetKey) : null;
        files.remove(sourceKey);
        files.put(targetKey, moved);
        directoryLog.moved(sourceKey, targetKey, moved, replaced, replacedContent);
    }

    @Override
    public synchronized void syncDirectory(Path directory) throws IOException {
        Path key = checkOperation(IoOp.SYNC_DIRECTORY, directory);
        delegate.syncDirectory(directory);
        directoryLog.directorySynced(key);
    }

    @Override
    public synchronized void createDirectories(Path directory) throws IOException {
        checkOperation(IoOp.CREATE_DIRECTORIES, directory);
        delegate.createDirectories(directory);
    }

    /** The real usable space, but at most what {@link #diskFullAfterBytes} still allows. */
    @Override
    public synchronized long usableSpace(Path path) throws IOException {
        checkPoweredOn();
        return Math.min(delegate.usableSpace(path), faults.bytesLeft());
    }

    @Override
    public synchronized LockHandle tryLock(Path lockFile, boolean shared) throws IOException {
        Path key = checkOperation(IoOp.LOCK, lockFile);
        boolean existed = delegate.exists(lockFile);
        LockHandle lock = delegate.tryLock(lockFile, shared);
        if (lock == null) {
            return null;
        }
        if (!existed) {
            directoryLog.created(key, files.trackNew(key));
        }
        FaultyLock faulty = new FaultyLock(this, lock);
        locks.add(faulty);
        return faulty;
    }

    // ---- hooks for FaultyStorageFile -------------------------------------------------------

    FaultInjector faults() {
        return faults;
    }

    void closed(FaultyStorageFile file) {
        openFiles.remove(file);
    }

    void released(FaultyLock lock) {
        locks.remove(lock);
    }

    /** A sync of {@code file} failed with {@code cause}; in drop mode its dirty data is lost now. */
    void syncFailed(TrackedFile file, IOException cause) {
        if (!dropDirtyDataOnFailedSync) {
            return;
        }
        Path path = file.path();
        if (file.hasUnsynced() && path != null && delegate.exists(path)) {
            try (StorageFile target = delegate.openForWrite(path)) {
                file.revertAll(target);
            } catch (IOException e) {
                cause.addSuppressed(e);
            }
        }
        file.markSynced();
    }

    // ---- helpers ---------------------------------------------------------------------------

    private FaultyStorageFile track(FaultyStorageFile file) {
        openFiles.add(file);
        return file;
    }

    /** Fails if the power is off, counts the operation (which may fail by plan); returns the key. */
    private Path checkOperation(IoOp operation, Path path, Path... more) throws IOException {
        checkPoweredOn();
        Path key = key(path);
        Path[] paths = new Path[more.length + 1];
        paths[0] = key;
        for (int i = 0; i < more.length; i++) {
            paths[i + 1] = key(more[i]);
        }
        faults.beforeOperation(operation, paths);
        return key;
    }

    private void checkPoweredOn() throws IOException {
        if (poweredOff) {
            throw new IOException("simulated power loss: the file layer is off until reset()");
        }
    }

    private boolean isRegularFile(Path path) {
        return delegate.exists(path) && !Files.isDirectory(path);
    }

    private static Path key(Path path) {
        return path.toAbsolutePath().normalize();
    }
}

package dev.keel.testkit;

/**
 * The kinds of I/O operation that {@link FaultyFileIO} counts and that a {@link FaultPlan} can
 * fail. {@code exists}, {@code size}, {@code usableSpace} and {@code close} are neither counted
 * nor failed.
 */
public enum IoOp {
    /** {@code openForWrite} or {@code openForRead}. */
    OPEN,
    /** A positional read of an open file. */
    READ,
    /** A positional write of an open file. */
    WRITE,
    /** {@code StorageFile.truncate}. */
    TRUNCATE,
    /** {@code StorageFile.sync} (fdatasync). */
    SYNC,
    /** {@code FileIO.delete}. */
    DELETE,
    /** {@code FileIO.move} (atomic rename). */
    MOVE,
    /** {@code FileIO.syncDirectory}. */
    SYNC_DIRECTORY,
    /** {@code FileIO.list}. */
    LIST,
    /** {@code FileIO.createDirectories}. */
    CREATE_DIRECTORIES,
    /** {@code FileIO.tryLock}. */
    LOCK
}

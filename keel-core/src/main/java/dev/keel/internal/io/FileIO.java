package dev.keel.internal.io;

import java.io.IOException;
import java.nio.file.Path;
import java.util.List;

/**
 * The storage seam: the only code in KeelDB that opens, syncs, renames, truncates or deletes
 * files. The engine never touches {@code java.nio.file.Files} or {@code FileChannel} directly,
 * so tests can substitute a layer that loses unsynced data, fails the n-th operation or reports
 * a full disk.
 *
 * <p>Durability contract every implementation must honour (and that the engine relies on):
 * <ul>
 *   <li>Data written with {@link StorageFile#write} is durable only after {@link StorageFile#sync}
 *       returned normally. A failed sync leaves the file's durable content unknown; callers must
 *       not retry and assume success.</li>
 *   <li>A newly created, deleted or renamed directory entry is durable only after
 *       {@link #syncDirectory} on its parent returned normally.</li>
 *   <li>{@link #move} is atomic: after a crash either the old or the new name exists, never a
 *       partial file under the new name.</li>
 * </ul>
 * Implementations are thread-safe.
 */
public interface FileIO {

    /** Opens a file for reading and writing, creating it if absent. */
    StorageFile openForWrite(Path path) throws IOException;

    /** Opens an existing file for reading only; never creates or modifies it. */
    StorageFile openForRead(Path path) throws IOException;

    boolean exists(Path path);

    /** Names of the regular files directly inside {@code directory}, sorted. */
    List<Path> list(Path directory) throws IOException;

    /** Deletes the file if it exists. The deletion is durable after {@link #syncDirectory}. */
    void delete(Path path) throws IOException;

    /** Atomically renames {@code source} to {@code target}, replacing the target if present. */
    void move(Path source, Path target) throws IOException;

    /** Makes creations, deletions and renames inside {@code directory} durable. */
    void syncDirectory(Path directory) throws IOException;

    void createDirectories(Path directory) throws IOException;

    /** Bytes available to this process on the file system holding {@code path}. */
    long usableSpace(Path path) throws IOException;

    /**
     * Tries to lock {@code lockFile} for this process: exclusively when {@code shared} is false
     * (the file is created if absent), shared otherwise (the file must exist).
     *
     * @return the held lock, or {@code null} if another process holds a conflicting lock
     */
    LockHandle tryLock(Path lockFile, boolean shared) throws IOException;

    /**
     * The type of the file system holding {@code path} as the OS names it ({@code ext4},
     * {@code xfs}, {@code nfs4}, {@code overlay}, {@code tmpfs}, ...), for the file system self-check.
     */
    default String fileSystemType(Path path) throws IOException {
        return java.nio.file.Files.getFileStore(path).type();
    }
}

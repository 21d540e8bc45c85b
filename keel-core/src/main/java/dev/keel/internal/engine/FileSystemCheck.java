package dev.keel.internal.engine;

import dev.keel.Health;
import dev.keel.internal.io.FileIO;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * The file system self-check made while opening: whether a directory sync works, whether file
 * locking works, what file system the database lives on, and how much space is free. Its result is
 * the {@code filesystem} component of {@link Health}. A directory sync that fails fails the open
 * (a storage error like any other); a lock that cannot be taken already did. Everything else is
 * reported, not enforced.
 *
 * <p>Network file systems (NFS, SMB/CIFS, sshfs, 9p, cluster file systems) are reported as
 * DEGRADED: their locking and sync semantics do not give the guarantees in DURABILITY.md. Overlay
 * and tmpfs are healthy for correctness but get a warning, because their data usually disappears
 * with the container or at reboot.
 */
final class FileSystemCheck {
    private static final Set<String> NETWORK = Set.of("nfs", "nfs4", "cifs", "smb", "smbfs", "smb2", "smb3",
            "fuse.sshfs", "sshfs", "9p", "ceph", "glusterfs", "fuse.glusterfs", "afs", "lustre", "gpfs", "davfs",
            "fuse.s3fs", "fuse.gcsfuse", "ncpfs", "coda");
    private static final Set<String> VOLATILE = Set.of("overlay", "overlayfs", "tmpfs", "ramfs", "aufs");

    private FileSystemCheck() {
    }

    /** Runs the check; {@code lockTaken} says whether the process lock was taken with an OS lock. */
    static Health.Component run(FileIO io, Path directory, boolean readOnly, boolean lockTaken) throws IOException {
        Map<String, Object> values = new LinkedHashMap<>();
        List<String> problems = new ArrayList<>();
        List<String> warnings = new ArrayList<>();
        String type;
        try {
            type = io.fileSystemType(directory).toLowerCase(Locale.ROOT);
        } catch (IOException | RuntimeException e) {
            type = "unknown";
            warnings.add("file system type unknown (" + e.getMessage() + ")");
        }
        values.put("type", type);
        if (NETWORK.contains(type)) {
            problems.add("network file system " + type + ": file locks and fsync may not protect data as"
                    + " DURABILITY.md requires; put the database on a local disk");
        } else if (VOLATILE.contains(type)) {
            warnings.add(type + " file system: data usually disappears with the container or at reboot; mount a"
                    + " persistent volume for the database directory");
        }
        if (readOnly) {
            values.put("directorySync", "not checked (read-only)");
        } else {
            // A failure here is a storage error like any other: it fails the open (G5), never only a detail.
            io.syncDirectory(directory);
            values.put("directorySync", "works");
        }
        values.put("fileLocking", lockTaken ? "works" : "not used (read-only open of a directory without a lock file)");
        try {
            values.put("freeBytes", io.usableSpace(directory));
        } catch (IOException | RuntimeException e) {
            warnings.add("free space unknown (" + e.getMessage() + ")");
        }
        Health.Status status = problems.isEmpty() ? Health.Status.HEALTHY : Health.Status.DEGRADED;
        List<String> all = new ArrayList<>(problems);
        all.addAll(warnings);
        String detail = all.isEmpty() ? "fit: local " + type + " file system, directory sync and file locking work"
                : String.join("; ", all);
        return new Health.Component("filesystem", status, detail, values);
    }
}

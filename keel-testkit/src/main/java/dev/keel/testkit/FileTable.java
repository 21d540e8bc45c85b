package dev.keel.testkit;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * The files {@link FaultyFileIO} has touched, by current absolute, normalized name, kept in step
 * with {@link TrackedFile#path()}. A file never touched is not here and counts as fully durable.
 * Not thread-safe: guarded by the owning FaultyFileIO's monitor.
 */
final class FileTable {
    private final Map<Path, TrackedFile> byPath = new HashMap<>();

    /** The file now named {@code path}, or null if this layer has not touched it. */
    TrackedFile get(Path path) {
        return byPath.get(path);
    }

    /** The file now named {@code path}, tracking it from now on if it was not yet. */
    TrackedFile getOrTrack(Path path) {
        return byPath.computeIfAbsent(path, TrackedFile::new);
    }

    /** Starts tracking a file just created under {@code path}, forgetting any stale entry. */
    TrackedFile trackNew(Path path) {
        TrackedFile file = new TrackedFile(path);
        put(path, file);
        return file;
    }

    /** Names {@code file} {@code path} (replacing whatever had that name). */
    void put(Path path, TrackedFile file) {
        TrackedFile previous = byPath.put(path, file);
        if (previous != null && previous != file) {
            previous.renamedTo(null);
        }
        file.renamedTo(path);
    }

    /** Unlinks {@code path}; returns the file that had that name, or null. */
    TrackedFile remove(Path path) {
        TrackedFile file = byPath.remove(path);
        if (file != null) {
            file.renamedTo(null);
        }
        return file;
    }

    /** The files that still have a name. */
    List<TrackedFile> all() {
        return new ArrayList<>(byPath.values());
    }

    void clear() {
        byPath.clear();
    }
}

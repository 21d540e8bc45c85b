package dev.keel.testkit;

import dev.keel.internal.io.FileIO;
import dev.keel.internal.io.StorageFile;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * The directory changes (creations, deletions, renames) not yet made durable by a
 * {@code syncDirectory}, oldest first, with what is needed to undo each: the content of a deleted
 * file or of a rename's replaced target is kept in memory until its directory is synced.
 *
 * <p>A creation or deletion becomes durable when its parent directory is synced; a rename when the
 * target's parent directory is synced (a simplification for renames across directories).
 * Undoing checks that a name still holds the file the change made, so a change that a later,
 * already durable change superseded is left alone.
 *
 * <p>Not thread-safe: guarded by the owning FaultyFileIO's monitor.
 */
final class DirectoryLog {

    private sealed interface Change permits Created, Deleted, Moved {
        /** The directory whose sync makes this change durable. */
        Path directory();

        void undo(FileIO io, FileTable files) throws IOException;
    }

    private record Created(Path path, TrackedFile file) implements Change {
        @Override
        public Path directory() {
            return path.getParent();
        }

        @Override
        public void undo(FileIO io, FileTable files) throws IOException {
            if (files.get(path) == file) {
                io.delete(path);
                files.remove(path);
            }
        }
    }

    private record Deleted(Path path, TrackedFile file, byte[] content) implements Change {
        @Override
        public Path directory() {
            return path.getParent();
        }

        @Override
        public void undo(FileIO io, FileTable files) throws IOException {
            if (!io.exists(path)) {
                writeContent(io, path, content);
                files.put(path, file);
            }
        }
    }

    private record Moved(Path source, Path target, TrackedFile file, TrackedFile replaced,
            byte[] replacedContent) implements Change {
        @Override
        public Path directory() {
            return target.getParent();
        }

        @Override
        public void undo(FileIO io, FileTable files) throws IOException {
            if (files.get(target) != file) {
                return;
            }
            io.move(target, source);
            files.remove(target);
            files.put(source, file);
            if (replaced != null) {
                writeContent(io, target, replacedContent);
                files.put(target, replaced);
            }
        }
    }

    private final List<Change> changes = new ArrayList<>();

    void created(Path path, TrackedFile file) {
        changes.add(new Created(path, file));
    }

    void deleted(Path path, TrackedFile file, byte[] content) {
        changes.add(new Deleted(path, file, content));
    }

    /** {@code replaced} and {@code replacedContent} are null when the target did not exist. */
    void moved(Path source, Path target, TrackedFile file, TrackedFile replaced,
            byte[] replacedContent) {
        changes.add(new Moved(source, target, file, replaced, replacedContent));
    }

    /** {@code directory} was synced: its changes are durable and need no undo any more. */
    void directorySynced(Path directory) {
        changes.removeIf(change -> directory.equals(change.directory()));
    }

    /** Undoes every change not made durable, newest first, and forgets them. */
    void undoAll(FileIO io, FileTable files) throws IOException {
        for (int i = changes.size() - 1; i >= 0; i--) {
            changes.get(i).undo(io, files);
        }
        changes.clear();
    }

    void clear() {
        changes.clear();
    }

    /** The whole content of {@code path}, to restore it if its deletion or replacement is undone. */
    static byte[] readContent(FileIO io, Path path) throws IOException {
        try (StorageFile file = io.openForRead(path)) {
            ByteBuffer buffer = ByteBuffer.allocate(Math.toIntExact(file.size()));
            file.readFully(buffer, 0);
            return buffer.array();
        }
    }

    private static void writeContent(FileIO io, Path path, byte[] content) throws IOException {
        try (StorageFile file = io.openForWrite(path)) {
            file.truncate(0);
            file.write(ByteBuffer.wrap(content), 0);
        }
    }
}

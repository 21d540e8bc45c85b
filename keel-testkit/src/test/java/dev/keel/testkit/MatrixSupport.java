package dev.keel.testkit;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.function.Predicate;
import java.util.stream.Stream;

/**
 * Small helpers of the two matrix tests ({@link FailAtEveryIoMatrixTest}, {@link CorruptionMatrixTest}):
 * a scratch directory in memory when the machine has one, directory fingerprints, and a trace of
 * the I/O operations a {@link FaultyFileIO} performs.
 */
final class MatrixSupport {
    private MatrixSupport() {
    }

    /**
     * A fresh scratch directory under {@code /dev/shm} (tmpfs: fsync costs nothing there, and the
     * matrices sync thousands of times), or {@code fallback} when there is no writable
     * {@code /dev/shm}. The caller deletes it with {@link #deleteTree} when it is not
     * {@code fallback}.
     */
    static Path scratchBase(Path fallback, String prefix) throws IOException {
        Path shm = Path.of("/dev/shm");
        if (Files.isDirectory(shm) && Files.isWritable(shm)) {
            return Files.createTempDirectory(shm, prefix);
        }
        return fallback;
    }

    static void deleteTree(Path dir) {
        if (dir == null || !Files.exists(dir)) {
            return;
        }
        try (Stream<Path> files = Files.walk(dir)) {
            for (Path p : files.sorted(Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(p);
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /**
     * Every file and directory below {@code dir}: relative path to "size:sha256" (files) or "dir".
     * Equal fingerprints mean nothing was created, deleted, resized or changed. With
     * {@code withLock} false the lock file is left out: a read-write open rewrites its holder text
     * (informational, not data) before recovery decides anything.
     */
    static Map<String, String> fingerprint(Path dir, boolean withLock) throws IOException {
        Map<String, String> out = new TreeMap<>();
        try (Stream<Path> files = Files.walk(dir)) {
            for (Path p : files.toList()) {
                String name = dir.relativize(p).toString();
                if (Files.isDirectory(p)) {
                    out.put(name + "/", "dir");
                } else if (withLock || !name.equals("keel.lock")) {
                    byte[] content = Files.readAllBytes(p);
                    out.put(name, content.length + ":" + sha256(content));
                }
            }
        }
        return out;
    }

    private static String sha256(byte[] content) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(content));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    /** One I/O operation as {@link OpTrace} saw it. */
    record Op(long index, IoOp kind, Path path, String thread) {
        @Override
        public String toString() {
            return "#" + index + " " + kind + " " + (path.getFileName() == null ? path : path.getFileName()) + " on "
                    + thread;
        }
    }

    /**
     * A path filter for a {@link FaultPlan} over all kinds that passes every operation and records
     * it: its index (1-based, counted from when the plan was armed), kind, first path and thread.
     * {@link FaultyFileIO} calls a plan's filter once per operation when the filter passes the
     * first path, under the layer's monitor, after it counted the operation, so the kind is the
     * one whose per-kind counter moved. Use it as {@code FaultPlan.failNthOperation(n).onlyPaths(trace)}:
     * the plan still fails exactly the n-th operation of any kind, and the trace says what it was.
     */
    static final class OpTrace implements Predicate<Path> {
        private final FaultyFileIO io;
        private final long[] counts = new long[IoOp.values().length];
        private final List<Op> ops = new ArrayList<>();

        OpTrace(FaultyFileIO io) {
            this.io = io;
            for (IoOp k : IoOp.values()) {
                counts[k.ordinal()] = io.ioCount(k);
            }
        }

        @Override
        public boolean test(Path path) {
            IoOp kind = null;
            for (IoOp k : IoOp.values()) {
                long now = io.ioCount(k);
                if (now != counts[k.ordinal()]) {
                    counts[k.ordinal()] = now;
                    kind = k;
                }
            }
            ops.add(new Op(ops.size() + 1, kind, path, Thread.currentThread().getName()));
            return true;
        }

        /** The operations recorded so far. Call with the layer's monitor held or once it is idle. */
        List<Op> ops() {
            synchronized (io) {
                return List.copyOf(ops);
            }
        }

        /** The n-th operation (1-based), or null if there were fewer. */
        Op op(long n) {
            synchronized (io) {
                return n >= 1 && n <= ops.size() ? ops.get((int) (n - 1)) : null;
            }
        }
    }
}

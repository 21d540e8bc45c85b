package dev.keel.tools;

import dev.keel.Entity;
import dev.keel.EntityType;
import dev.keel.Field;
import dev.keel.KeelDb;
import dev.keel.KeelOptions;
import dev.keel.internal.checkpoint.CheckpointFormat;
import dev.keel.internal.codec.Checksums;
import dev.keel.internal.io.NioFileIO;
import dev.keel.internal.wal.SegmentScanner.Frame;
import dev.keel.internal.wal.WalFormat;
import dev.keel.internal.wal.WalRecord;
import dev.keel.testutil.DbFiles;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Stream;

/** Databases, crash images and damage for the tools tests. */
final class ToolsTestSupport {
    static final EntityType CUSTOMER = EntityType.builder("Customer").field(Field.text("name").required())
            .field(Field.longField("tier")).build();
    static final EntityType ORDER = EntityType.builder("Order").field(Field.reference("customer", "Customer"))
            .field(Field.doubleField("amount").required()).field(Field.text("note")).build();

    private ToolsTestSupport() {
    }

    /** Small segments, so that a modest workload spans several. */
    static KeelOptions options() {
        return KeelOptions.builder().entityType(CUSTOMER).entityType(ORDER)
                .segmentSizeInBytes(KeelOptions.MIN_SEGMENT_SIZE).build();
    }

    /** {@code n} transactions, each inserting one customer and one order that references it. */
    static void fill(KeelDb db, int n) {
        fill(db, n, 0);
    }

    /** Like {@link #fill(KeelDb, int)}, each order's note padded by {@code padding} characters. */
    static void fill(KeelDb db, int n, int padding) {
        String pad = "x".repeat(padding);
        for (int i = 0; i < n; i++) {
            long k = i;
            db.execute(tx -> {
                long c = tx.insert("Customer", Map.of("name", "customer-" + k, "tier", k % 3));
                tx.insert("Order", Map.of("customer", c, "amount", k * 1.5, "note", "order of " + k + pad));
            });
        }
    }

    /**
     * What a killed process leaves: the files of the open database {@code live} copied to {@code to},
     * without the lock file unless {@code withLock}.
     */
    static Path crashImage(Path live, Path to, boolean withLock) throws IOException {
        DbFiles.copy(live, to);
        if (!withLock) {
            Files.deleteIfExists(to.resolve("keel.lock"));
        }
        return to;
    }

    /**
     * A crash image of a database with {@code transactions} filled in, whose last transaction is
     * torn (a byte near its commit flipped): what NORMAL recovery cuts as a torn tail.
     */
    static Path tornCrashImage(Path tmp, String name, int transactions) throws IOException {
        Path live = tmp.resolve(name + "-live");
        Path image;
        try (KeelDb db = KeelDb.open(live, options())) {
            fill(db, transactions);
            image = crashImage(live, tmp.resolve(name), false);
        }
        List<Path> withFrames = segmentsWithFrames(image);
        Path segment = withFrames.get(withFrames.size() - 1);
        flipByte(segment, lastTransaction(segment)[1] - 3);
        return image;
    }

    static List<Path> segments(Path dir) {
        return DbFiles.list(dir).stream().filter(p -> WalFormat.parseId(p.getFileName().toString()) >= 0).toList();
    }

    static List<Path> segmentsWithFrames(Path dir) {
        return segments(dir).stream().filter(s -> !frames(s).isEmpty()).toList();
    }

    static Path checkpoint(Path dir) {
        List<Path> all = DbFiles.list(dir).stream()
                .filter(p -> CheckpointFormat.parseLsn(p.getFileName().toString()) >= 0).toList();
        if (all.isEmpty()) {
            throw new AssertionError("no checkpoint in " + dir + ": " + DbFiles.list(dir));
        }
        return all.get(all.size() - 1);
    }

    static List<Frame> frames(Path segment) {
        try {
            return LogFile.read(NioFileIO.INSTANCE, segment).frames();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Offset of the first frame of the last transaction in {@code segment}, and the end of its commit. */
    static long[] lastTransaction(Path segment) {
        List<Frame> frames = frames(segment);
        Frame last = frames.get(frames.size() - 1);
        if (!(last.record() instanceof WalRecord.Commit)) {
            throw new AssertionError("last frame of " + segment + " is no commit: " + last);
        }
        long start = WalFormat.HEADER_SIZE;
        for (Frame f : frames) {
            if (f.record() instanceof WalRecord.Commit && f != last) {
                start = f.offset() + f.size();
            }
        }
        return new long[] {start, last.offset() + last.size()};
    }

    static void flipByte(Path file, long offset) throws IOException {
        byte[] data = Files.readAllBytes(file);
        data[(int) offset] ^= 0x5A;
        Files.write(file, data);
    }

    /** Rewrites the format version in a checkpoint or segment header, with a valid header checksum. */
    static void setHeaderVersion(Path file, int version) throws IOException {
        byte[] data = Files.readAllBytes(file);
        ByteBuffer b = ByteBuffer.wrap(data).order(ByteOrder.LITTLE_ENDIAN);
        b.putInt(8, version);
        b.putInt(60, Checksums.crc32c(data, 0, 60));
        Files.write(file, data);
    }

    /**
     * Every file and directory below {@code dir}: relative path to size, content hash and
     * modification time. Equal listings mean nothing was created, deleted, written or touched.
     */
    static Map<String, String> listing(Path dir) throws IOException {
        Map<String, String> out = new TreeMap<>();
        Map<String, String> content = DbFiles.fingerprint(dir);
        try (Stream<Path> s = Files.walk(dir)) {
            for (Path p : s.toList()) {
                String rel = dir.relativize(p).toString();
                String what = Files.isDirectory(p) ? "dir" : content.get(rel);
                out.put(rel, what + " mtime=" + Files.getLastModifiedTime(p));
            }
        }
        return out;
    }

    /** Every entity of every type, in type and id order. */
    static List<Entity> all(KeelDb db) {
        List<Entity> out = new ArrayList<>();
        for (EntityType t : db.schema()) {
            db.snapshot().scan(t.name()).forEach(out::add);
        }
        return out;
    }
}

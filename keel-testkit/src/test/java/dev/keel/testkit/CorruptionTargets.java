package dev.keel.testkit;

import dev.keel.internal.checkpoint.CheckpointFormat;
import dev.keel.internal.wal.SegmentScanner;
import dev.keel.internal.wal.WalFormat;
import dev.keel.internal.wal.WalRecord;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;
import java.util.stream.Stream;

/**
 * Where {@link CorruptionMatrixTest} damages a database image and how: the layout of an undamaged
 * image (log segments with the byte range of every transaction, the checkpoint with the range of
 * every block), the targets, the kinds of damage, and the diff of what a damage actually changed.
 * The layout is read with the engine's own segment scanner, on undamaged files only.
 */
final class CorruptionTargets {
    private CorruptionTargets() {
    }

    /** What is damaged. */
    enum Target {
        /** The 64-byte header of a log segment (any segment, also an empty preallocated one). */
        SEGMENT_HEADER,
        /** The frames of a synced transaction that is not the last one in the log. */
        LOG_RECORD_MIDDLE,
        /** The frames of the last synced transaction in the log. */
        LOG_RECORD_LAST,
        /** The preallocated zeros after the last frame of the last segment holding frames. */
        LOG_PAST_END,
        /** The 64-byte checkpoint header. */
        CHECKPOINT_HEADER,
        /** A checkpoint block other than END (SCHEMA, TYPE or ENTITIES). */
        CHECKPOINT_BODY,
        /** The checkpoint's END block. */
        CHECKPOINT_END;

        boolean isLog() {
            return ordinal() <= LOG_PAST_END.ordinal();
        }
    }

    /** How it is damaged. */
    enum DamageKind {
        /** 1 to 8 random bits flipped inside the target's range. */
        FLIP_BITS(0),
        /** The aligned 512-byte block holding a random byte of the target zeroed (clipped to the file). */
        ZERO_512(512),
        /** The aligned 4 KiB block holding a random byte of the target zeroed (clipped to the file). */
        ZERO_4K(4096);

        final int blockSize;

        DamageKind(int blockSize) {
            this.blockSize = blockSize;
        }
    }

    /** One transaction in the log: its frames' byte range, commit LSN and index in the global commit order. */
    record LogTx(Path segment, int start, int end, long commitLsn, int globalIndex) {
        boolean overlaps(int from, int toInclusive) {
            return from < end && toInclusive >= start;
        }
    }

    /** One log segment: its size, where its frames end, and its transactions. */
    record Segment(Path path, long id, int size, int framesEnd, List<LogTx> txs) {
    }

    /** One checkpoint block: [start, end) and kind. */
    record Block(int start, int end, int kind) {
    }

    /**
     * The layout of an undamaged image. Global transaction 0 is the schema transaction the first
     * open wrote; 1..n are the writers' transactions in commit order. The log holds the last
     * {@code logTxs.size()} of them (older segments were retired by the checkpoint).
     */
    record Layout(List<Segment> segments, List<LogTx> logTxs, Path checkpoint, long checkpointLsn, List<Block> blocks,
            int globalTxs) {

        /** Whether global transaction {@code i} is in the checkpoint (all that are not in the log are). */
        boolean coveredByCheckpoint(int i) {
            if (checkpoint == null) {
                return false;
            }
            LogTx tx = inLog(i);
            return tx == null || tx.commitLsn() <= checkpointLsn;
        }

        /** The log transaction with global index {@code i}, or null. */
        LogTx inLog(int i) {
            int first = globalTxs - logTxs.size();
            return i >= first ? logTxs.get(i - first) : null;
        }

        Segment segment(Path file) {
            for (Segment s : segments) {
                if (s.path().getFileName().equals(file.getFileName())) {
                    return s;
                }
            }
            return null;
        }

        static Layout read(Path dir, int globalTxs) throws IOException {
            List<Path> files;
            try (Stream<Path> s = Files.list(dir)) {
                files = s.filter(Files::isRegularFile).sorted().toList();
            }
            List<Segment> segments = new ArrayList<>();
            List<LogTx> all = new ArrayList<>();
            Path checkpoint = null;
            long checkpointLsn = -1;
            List<Block> blocks = List.of();
            List<int[]> pendingRanges = new ArrayList<>(); // {segment index, start, end} per log tx, then LSNs
            List<Long> commitLsns = new ArrayList<>();
            for (Path f : files) {
                String name = f.getFileName().toString();
                long id = WalFormat.parseId(name);
                long lsn = CheckpointFormat.parseLsn(name);
                if (id >= 0) {
                    byte[] data = Files.readAllBytes(f);
                    WalFormat.Header h = WalFormat.readHeader(data, data.length, f, id);
                    SegmentScanner.Result scan = SegmentScanner.scan(data, data.length, h.salt());
                    if (!scan.badRegions().isEmpty()) {
                        throw new IllegalStateException("the undamaged image is damaged: " + f + " "
                                + scan.badRegions());
                    }
                    int start = -1;
                    int framesEnd = WalFormat.HEADER_SIZE;
                    for (SegmentScanner.Frame fr : scan.frames()) {
                        if (start < 0) {
                            start = fr.offset();
                        }
                        framesEnd = fr.offset() + fr.size();
                        if (fr.record() instanceof WalRecord.Commit) {
                            pendingRanges.add(new int[] {segments.size(), start, framesEnd});
                            commitLsns.add(fr.lsn());
                            start = -1;
                        }
                    }
                    if (start >= 0) {
                        throw new IllegalStateException("a transaction without commit in the undamaged image: " + f);
                    }
                    segments.add(new Segment(f, id, data.length, framesEnd, new ArrayList<>()));
                } else if (lsn >= 0) {
                    if (checkpoint != null) {
                        throw new IllegalStateException("two checkpoints in the image: " + checkpoint + ", " + f);
                    }
                    checkpoint = f;
                    checkpointLsn = lsn;
                    blocks = blocks(Files.readAllBytes(f));
                }
            }
            int first = globalTxs - pendingRanges.size();
            if (first < 0) {
                throw new IllegalStateException("the log holds " + pendingRanges.size() + " transactions, more than"
                        + " the " + globalTxs + " committed");
            }
            for (int i = 0; i < pendingRanges.size(); i++) {
                int[] r = pendingRanges.get(i);
                Segment s = segments.get(r[0]);
                LogTx tx = new LogTx(s.path(), r[1], r[2], commitLsns.get(i), first + i);
                s.txs().add(tx);
                all.add(tx);
            }
            return new Layout(List.copyOf(segments), List.copyOf(all), checkpoint, checkpointLsn, blocks, globalTxs);
        }

        private static List<Block> blocks(byte[] data) {
            List<Block> out = new ArrayList<>();
            int at = CheckpointFormat.HEADER_SIZE;
            while (at < data.length) {
                int length = (data[at + 4] & 0xFF) | (data[at + 5] & 0xFF) << 8 | (data[at + 6] & 0xFF) << 16
                        | (data[at + 7] & 0xFF) << 24;
                int end = at + CheckpointFormat.BLOCK_HEADER_SIZE + length;
                out.add(new Block(at, end, data[at + 8] & 0xFF));
                at = end;
            }
            if (out.isEmpty() || out.get(out.size() - 1).kind() != CheckpointFormat.END || at != data.length) {
                throw new IllegalStateException("checkpoint blocks do not parse: " + out);
            }
            return List.copyOf(out);
        }
    }

    /**
     * A damage applied to one file: what was aimed at and what changed. {@code changed} lists the
     * offsets whose byte differs afterwards (empty: the damage changed nothing, e.g. zeros over zeros).
     */
    record Damage(Target target, DamageKind kind, Path file, int from, int to, String description, byte[] before,
            byte[] after, int[] changed) {

        boolean noop() {
            return changed.length == 0;
        }

        int firstChanged() {
            return changed[0];
        }

        int lastChanged() {
            return changed[changed.length - 1];
        }

        @Override
        public String toString() {
            return description + ", " + changed.length + " bytes changed"
                    + (changed.length > 0 ? " in [" + firstChanged() + ", " + lastChanged() + "]" : "");
        }

    }

    /** A byte range [from, to) of one file of the undamaged image. */
    record Aim(Path file, int from, int to) {
    }

    /** A byte range of {@code target} in {@code layout}, chosen with {@code random}; null if the image has none. */
    static Aim aim(Layout layout, Target target, SplittableRandom random) {
        return switch (target) {
            case SEGMENT_HEADER -> layout.segments().isEmpty() ? null
                    : new Aim(layout.segments().get(random.nextInt(layout.segments().size())).path(), 0,
                            WalFormat.HEADER_SIZE);
            case LOG_RECORD_MIDDLE -> {
                if (layout.logTxs().size() < 2) {
                    yield null;
                }
                LogTx tx = layout.logTxs().get(random.nextInt(layout.logTxs().size() - 1));
                yield new Aim(tx.segment(), tx.start(), tx.end());
            }
            case LOG_RECORD_LAST -> {
                if (layout.logTxs().isEmpty()) {
                    yield null;
                }
                LogTx tx = layout.logTxs().get(layout.logTxs().size() - 1);
                yield new Aim(tx.segment(), tx.start(), tx.end());
            }
            case LOG_PAST_END -> {
                Segment last = null;
                for (Segment s : layout.segments()) {
                    if (!s.txs().isEmpty()) {
                        last = s;
                    }
                }
                yield last == null || last.framesEnd() >= last.size() ? null
                        : new Aim(last.path(), last.framesEnd(), last.size());
            }
            case CHECKPOINT_HEADER -> layout.checkpoint() == null ? null
                    : new Aim(layout.checkpoint(), 0, CheckpointFormat.HEADER_SIZE);
            case CHECKPOINT_BODY -> {
                if (layout.checkpoint() == null) {
                    yield null;
                }
                Block b = layout.blocks().get(random.nextInt(layout.blocks().size() - 1));
                yield new Aim(layout.checkpoint(), b.start(), b.end());
            }
            case CHECKPOINT_END -> {
                if (layout.checkpoint() == null) {
                    yield null;
                }
                Block b = layout.blocks().get(layout.blocks().size() - 1);
                yield new Aim(layout.checkpoint(), b.start(), b.end());
            }
        };
    }

    /**
     * Applies {@code kind} to [from, to) of the file named like {@code original} inside {@code dir}
     * and returns what changed. Zeroed blocks are aligned and clipped to the file; for
     * {@link Target#LOG_PAST_END} they lie wholly in the zeros after the last frame when one fits.
     */
    static Damage apply(Path dir, Target target, DamageKind kind, Path original, int from, int to,
            SplittableRandom random) throws IOException {
        Path file = dir.resolve(original.getFileName().toString());
        byte[] before = Files.readAllBytes(file);
        byte[] after = before.clone();
        String description;
        if (kind == DamageKind.FLIP_BITS) {
            int bits = 1 + random.nextInt(8);
            StringBuilder where = new StringBuilder();
            for (int i = 0; i < bits; i++) {
                int at = from + random.nextInt(to - from);
                int bit = random.nextInt(8);
                after[at] ^= (byte) (1 << bit);
                where.append(i == 0 ? "" : ",").append(at).append('.').append(bit);
            }
            description = bits + " bit(s) flipped at " + where;
        } else {
            int size = kind.blockSize;
            int start;
            int firstAligned = (from + size - 1) / size * size;
            if (target == Target.LOG_PAST_END && firstAligned + size <= before.length) {
                int blocks = (before.length - firstAligned) / size;
                start = firstAligned + random.nextInt(blocks) * size;
            } else {
                start = (from + random.nextInt(to - from)) / size * size;
            }
            int end = Math.min(start + size, before.length);
            for (int i = start; i < end; i++) {
                after[i] = 0;
            }
            description = "bytes [" + start + ", " + end + ") zeroed";
        }
        Files.write(file, after);
        int n = 0;
        int[] changed = new int[before.length];
        for (int i = 0; i < before.length; i++) {
            if (before[i] != after[i]) {
                changed[n++] = i;
            }
        }
        return new Damage(target, kind, file, from, to, target + " [" + from + ", " + to + ") of "
                + file.getFileName() + ": " + description, before, after, Arrays.copyOf(changed, n));
    }
}

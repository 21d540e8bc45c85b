package dev.keel.testkit;

import static dev.keel.testkit.WorkloadModel.assertPrefixes;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.keel.EntityType;
import dev.keel.Field;
import dev.keel.KeelDb;
import dev.keel.KeelOptions;
import dev.keel.RecoveryMode;
import dev.keel.RecoveryReport;
import dev.keel.RecoveryReport.EventKind;
import dev.keel.internal.io.FileIO;
import dev.keel.internal.io.LockHandle;
import dev.keel.internal.io.NioFileIO;
import dev.keel.internal.io.StorageFile;
import dev.keel.testkit.WorkloadModel.Shape;
import dev.keel.testkit.WorkloadModel.Writer;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.EnumSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Predicate;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * Shared machinery of the {@code *FaultTest} classes: seeds and replay, the entity types, file-name
 * predicates, fault plans that stop the world at a chosen operation, a power loss that may tear
 * the last write of the newest log segment, and the reopen-and-verify step (recovery report plus
 * the prefix check of {@link WorkloadModel}).
 *
 * <p>Replay: a scenario is a function of its seed (transaction contents, sizes, timing targets,
 * where to tear). Thread interleaving and fsync latency are not seeded, so a replay re-runs the
 * same scenario, not the same schedule.
 */
final class FaultTestSupport {
    static final int MULTIPLIER = Math.max(1, Integer.getInteger("keel.test.multiplier", 1));

    static final EntityType ITEM = EntityType.builder("Item")
            .field(Field.longField("owner").required())
            .field(Field.longField("tx").required())
            .field(Field.longField("slot").required())
            .field(Field.text("payload"))
            .build();
    static final EntityType HEAD = EntityType.builder("Head")
            .field(Field.longField("owner").required())
            .field(Field.longField("seq").required())
            .build();

    private static final Pattern WAL = Pattern.compile("wal-[0-9a-f]{16}\\.log");
    private static final Pattern WAL_ANY = Pattern.compile("wal-([0-9a-f]{16})\\.log(\\.tmp)?");

    private FaultTestSupport() {
    }

    // ---- seeds ---------------------------------------------------------------------------------

    /** What every assertion message carries. */
    static String replay(long seed) {
        return "seed=" + seed + " (replay with -Dkeel.test.seed=" + seed + ")";
    }

    /** One scenario run with one seed in its own directory. */
    interface Scenario {
        void run(long seed, Path dir) throws Exception;
    }

    /**
     * Runs {@code scenario} {@code runs} times. The first seed is {@code -Dkeel.test.seed} or random,
     * each next one is derived from the previous, so replaying a printed seed re-runs that scenario
     * first. A failure names the seed and keeps the database directory under
     * {@code target/failed-dbs/}.
     */
    static void repeat(String name, int runs, Path tmp, Scenario scenario) {
        Long fixed = Long.getLong("keel.test.seed");
        long seed = fixed != null ? fixed : ThreadLocalRandom.current().nextLong();
        System.out.println(name + ": first " + replay(seed) + ", " + runs + " runs");
        for (int i = 0; i < runs; i++) {
            Path dir = tmp.resolve("run-" + i);
            try {
                scenario.run(seed, dir);
            } catch (Throwable t) {
                Path kept = keep(dir, name + "-" + seed);
                throw new AssertionError(name + " run " + i + " failed, " + replay(seed)
                        + (kept != null ? ", database kept in " + kept : "") + ": " + t, t);
            }
            seed = new SplittableRandom(seed).nextLong();
        }
    }

    private static Path keep(Path dir, String name) {
        if (!Files.isDirectory(dir)) {
            return null;
        }
        Path target = Paths.get("target", "failed-dbs", name).toAbsolutePath();
        try {
            copyTree(dir, target);
            return target;
        } catch (IOException e) {
            System.err.println("could not keep " + dir + ": " + e);
            return null;
        }
    }

    /** Copies a directory tree (a database image), replacing files already at the target. */
    static void copyTree(Path from, Path to) throws IOException {
        try (Stream<Path> files = Files.walk(from)) {
            for (Path p : (Iterable<Path>) files::iterator) {
                Path target = to.resolve(from.relativize(p).toString());
                if (Files.isDirectory(p)) {
                    Files.createDirectories(target);
                } else {
                    Files.createDirectories(target.getParent());
                    Files.copy(p, target, StandardCopyOption.REPLACE_EXISTING);
                }
            }
        }
    }

    // ---- files ---------------------------------------------------------------------------------

    static boolean isWal(Path p) {
        return WAL.matcher(p.getFileName().toString()).matches();
    }

    /** Log segment id of a segment or of its temporary file, or -1. */
    static long walId(Path p) {
        var m = WAL_ANY.matcher(p.getFileName().toString());
        return m.matches() ? Long.parseLong(m.group(1), 16) : -1;
    }

    static boolean isCheckpointTemp(Path p) {
        String n = p.getFileName().toString();
        return n.startsWith("checkpoint-") && n.endsWith(".kcp.tmp");
    }

    /**
     * A plan that stops the world: the {@code nth} operation that passes {@code trigger} fails, and
     * from then on every operation of every kind on every path fails, as if the power had gone at
     * that instant (a failing operation does nothing). Follow it with {@link FaultyFileIO#powerLoss}.
     */
    static FaultPlan stopTheWorldAt(long nth, Predicate<Path> trigger) {
        AtomicBoolean stopped = new AtomicBoolean();
        AtomicLong seen = new AtomicLong();
        return new FaultPlan(EnumSet.allOf(IoOp.class), nth, true, p -> {
            if (stopped.get()) {
                return true;
            }
            if (trigger.test(p)) {
                if (seen.incrementAndGet() >= nth) {
                    stopped.set(true);
                }
                return true;
            }
            return false;
        });
    }

    /**
     * Like {@link #stopTheWorldAt(long, Predicate)}, but counts only operations of kind {@code kind}
     * on paths passing {@code trigger}; e.g. the n-th SYNC of a log segment, which leaves the write
     * before it unsynced. A plan's path filter does not see the kind, so it is told apart by which
     * per-kind counter of {@code io} moved (the filter runs under the layer's monitor, after the
     * operation was counted). Arm the plan right after creating it.
     */
    static FaultPlan stopTheWorldAt(FaultyFileIO io, IoOp kind, long nth, Predicate<Path> trigger) {
        AtomicBoolean stopped = new AtomicBoolean();
        AtomicLong seen = new AtomicLong();
        long[] last = {io.ioCount(), io.ioCount(kind), 0}; // total, count of kind, 1 if that op is of kind
        return new FaultPlan(EnumSet.allOf(IoOp.class), nth, true, p -> {
            if (stopped.get()) {
                return true;
            }
            long total = io.ioCount();
            if (total != last[0]) {
                long ofKind = io.ioCount(kind);
                last[2] = ofKind != last[1] ? 1 : 0;
                last[0] = total;
                last[1] = ofKind;
            }
            if (last[2] == 1 && trigger.test(p)) {
                if (seen.incrementAndGet() >= nth) {
                    stopped.set(true);
                }
                return true;
            }
            return false;
        });
    }

    static KeelOptions.Builder options(FileIO io) {
        return KeelOptions.builder().entityTypes(ITEM, HEAD).segmentSizeInBytes(64 * 1024).fileIO(io);
    }

    /** A fresh file layer for reopening after a power loss: the real one or a new faulty one. */
    static FileIO freshLayer(SplittableRandom random) {
        return random.nextBoolean() ? NioFileIO.INSTANCE : new FaultyFileIO();
    }

    static boolean chainContains(Throwable t, String text) {
        for (Throwable c = t; c != null; c = c.getCause()) {
            if (c.getMessage() != null && c.getMessage().contains(text)) {
                return true;
            }
            for (Throwable s : c.getSuppressed()) {
                if (chainContains(s, text)) {
                    return true;
                }
            }
        }
        return false;
    }

    static InjectedFaultException injected(Throwable t) {
        for (Throwable c = t; c != null; c = c.getCause()) {
            if (c instanceof InjectedFaultException i) {
                return i;
            }
        }
        return null;
    }

    // ---- a FileIO that remembers the length of each file's last write --------------------------

    /**
     * Sits under a {@link FaultyFileIO} and records the length of the last write to each path, so a
     * test can tear that write at a byte it chooses. Thread-safe.
     */
    static final class WriteRecorder implements FileIO {
        private final FileIO delegate = NioFileIO.INSTANCE;
        private final Map<Path, Integer> lastWrite = new ConcurrentHashMap<>();

        int lastWriteLength(Path p) {
            return lastWrite.getOrDefault(p.toAbsolutePath().normalize(), 0);
        }

        @Override
        public StorageFile openForWrite(Path path) throws IOException {
            StorageFile f = delegate.openForWrite(path);
            Path key = path.toAbsolutePath().normalize();
            return new StorageFile() {
                @Override
                public Path path() {
                    return f.path();
                }

                @Override
                public int read(ByteBuffer dst, long position) throws IOException {
                    return f.read(dst, position);
                }

                @Override
                public void write(ByteBuffer src, long position) throws IOException {
                    int n = src.remaining();
                    f.write(src, position);
                    lastWrite.put(key, n);
                }

                @Override
                public long size() throws IOException {
                    return f.size();
                }

                @Override
                public void truncate(long sizeInBytes) throws IOException {
                    f.truncate(sizeInBytes);
                }

                @Override
                public void sync() throws IOException {
                    f.sync();
                }

                @Override
                public void close() throws IOException {
                    f.close();
                }
            };
        }

        @Override
        public StorageFile openForRead(Path path) throws IOException {
            return delegate.openForRead(path);
        }

        @Override
        public boolean exists(Path path) {
            return delegate.exists(path);
        }

        @Override
        public List<Path> list(Path directory) throws IOException {
            return delegate.list(directory);
        }

        @Override
        public void delete(Path path) throws IOException {
            delegate.delete(path);
        }

        @Override
        public void move(Path source, Path target) throws IOException {
            delegate.move(source, target);
            Integer n = lastWrite.remove(source.toAbsolutePath().normalize());
            if (n != null) {
                lastWrite.put(target.toAbsolutePath().normalize(), n);
            }
        }

        @Override
        public void syncDirectory(Path directory) throws IOException {
            delegate.syncDirectory(directory);
        }

        @Override
        public void createDirectories(Path directory) throws IOException {
            delegate.createDirectories(directory);
        }

        @Override
        public long usableSpace(Path path) throws IOException {
            return delegate.usableSpace(path);
        }

        @Override
        public LockHandle tryLock(Path lockFile, boolean shared) throws IOException {
            return delegate.tryLock(lockFile, shared);
        }
    }

    // ---- power loss ----------------------------------------------------------------------------

    /** How a power loss was applied: the file torn (or null) and whether a cut must be reported. */
    record PowerLoss(Path tornFile, PowerLossOptions.TornFill fill, long keptBytes, int lastWriteLength,
            boolean expectTornTailCut, String description) {
    }

    /**
     * Cuts the power now. With a random choice, tears the last write of the newest log segment that
     * has unsynced writes at a random byte, filling the rest with zeros or garbage. The choice of
     * file and the power loss happen atomically under the layer's monitor, while other threads may
     * be in the middle of I/O.
     */
    static PowerLoss powerLoss(FaultyFileIO io, WriteRecorder recorder, SplittableRandom random) throws IOException {
        int tear = random.nextInt(3); // 0: no tear, 1: zeros, 2: garbage
        boolean forgetDirectoryOps = random.nextInt(4) != 0;
        long garbageSeed = random.nextLong();
        double keepFraction = random.nextDouble();
        synchronized (io) {
            Path newest = null;
            for (Path p : io.unsyncedFiles()) {
                if (isWal(p) && (newest == null || walId(p) > walId(newest))) {
                    newest = p;
                }
            }
            PowerLossOptions options = PowerLossOptions.defaults()
                    .withForgetUnsyncedDirectoryOps(forgetDirectoryOps).withSeed(garbageSeed);
            if (tear == 0 || newest == null) {
                io.powerLoss(options);
                return new PowerLoss(null, null, 0, 0, false, "power loss without tear (unsynced wal: " + newest
                        + ", forgetDirectoryOps=" + forgetDirectoryOps + ")");
            }
            int last = recorder.lastWriteLength(newest);
            long kept = (long) Math.floor(keepFraction * last);
            PowerLossOptions.TornFill fill = tear == 1 ? PowerLossOptions.TornFill.ZEROS
                    : PowerLossOptions.TornFill.GARBAGE;
            io.powerLoss(options.tearLastWrite(newest, kept).withTornFill(fill));
            // Garbage of 8+ bytes is non-zero with certainty for practical purposes and cannot form a
            // valid frame, so recovery must find damage at the end of the log and cut it.
            boolean expectCut = fill == PowerLossOptions.TornFill.GARBAGE && last - kept >= 8;
            return new PowerLoss(newest, fill, kept, last, expectCut, "power loss tearing the last write ("
                    + last + " bytes) of " + newest.getFileName() + " after " + kept + " bytes, fill " + fill
                    + ", forgetDirectoryOps=" + forgetDirectoryOps);
        }
    }

    /** Closes a database whose file layer lost power: it may throw, but must release the lock. */
    static void closeDead(KeelDb db) {
        try {
            db.close();
        } catch (RuntimeException expected) {
            // The power is off: a close that tries to checkpoint or sync fails, as it should.
        }
    }

    /** Every finding of a NORMAL open after a crash is a repair with its bytes kept. */
    static void assertRepairReport(RecoveryReport report, PowerLoss loss, String context, long seed) throws IOException {
        String where = context + "; report " + report + "; " + replay(seed);
        assertEquals(RecoveryMode.NORMAL, report.mode(), where);
        Set<EventKind> allowed = EnumSet.of(EventKind.TORN_TAIL_CUT, EventKind.INCOMPLETE_TRANSACTION_DISCARDED,
                EventKind.TEMP_FILE_REMOVED, EventKind.STALE_GENERATION);
        for (RecoveryReport.Event e : report.events()) {
            assertTrue(allowed.contains(e.kind()), "unexpected recovery finding " + e.kind() + ": " + where);
            if (e.kind() != EventKind.TEMP_FILE_REMOVED && e.length() > 0) {
                assertNotNull(e.quarantineFile(), "repair without a quarantine file: " + e + "; " + where);
                assertTrue(Files.isRegularFile(e.quarantineFile()), "quarantine file missing: " + e + "; " + where);
                assertEquals(e.length(), Files.size(e.quarantineFile()), "quarantine file length: " + e + "; " + where);
            }
        }
        if (loss != null && loss.expectTornTailCut()) {
            boolean cut = report.events().stream().anyMatch(e -> e.kind() == EventKind.TORN_TAIL_CUT
                    && e.file().getFileName().equals(loss.tornFile().getFileName()));
            assertTrue(cut, "a garbage-torn tail in " + loss.tornFile().getFileName() + " must be cut and reported"
                    + " as TORN_TAIL_CUT; " + loss.description() + "; " + where);
        }
    }

    /**
     * Reopens {@code dir} in NORMAL mode with a fresh layer, checks the report and every writer's
     * prefix, commits two more transactions as a new writer, closes, reopens again (clean) and
     * checks again. Returns the prefixes found on the first reopen.
     */
    static int[] reopenAndVerify(Path dir, List<Writer> writers, int[] required, PowerLoss loss, String context,
            long seed) throws IOException {
        SplittableRandom random = new SplittableRandom(seed ^ 0x5DEECE66DL);
        int[] found;
        Writer after = new Writer(1_000_000L + random.nextInt(1000), random.nextLong(), new Shape(4, 64, 0));
        try (KeelDb db = KeelDb.open(dir, options(freshLayer(random)).build())) {
            assertRepairReport(db.recoveryReport(), loss, context, seed);
            found = assertPrefixes(db.snapshot(), writers, required, Set.of(), context + "; first reopen", seed);
            System.out.println("  ok: " + context + "; acknowledged " + Arrays.toString(writers.stream()
                    .mapToInt(Writer::acked).toArray()) + ", required " + Arrays.toString(required) + ", found "
                    + Arrays.toString(found) + ", recovery events " + db.recoveryReport().events().stream()
                    .map(e -> e.kind().toString()).toList());
            after.commitNext(db);
            after.commitNext(db);
        }
        List<Writer> all = new ArrayList<>(writers);
        all.add(after);
        int[] exact = Arrays.copyOf(found, found.length + 1);
        exact[found.length] = 2;
        try (KeelDb db = KeelDb.open(dir, options(NioFileIO.INSTANCE).build())) {
            assertTrue(db.recoveryReport().clean(), "a reopen after a clean close must find nothing to repair: "
                    + db.recoveryReport() + "; " + context + "; " + replay(seed));
            int[] again = assertPrefixes(db.snapshot(), all, exact, Set.of(), context + "; second reopen", seed);
            for (int i = 0; i < exact.length; i++) {
                assertEquals(exact[i], again[i], "state changed between reopens; " + context + "; " + replay(seed));
            }
        }
        return found;
    }
}

package dev.keel;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.keel.fault.CrashPoint;
import dev.keel.internal.engine.IdempotentWrites;
import dev.keel.testutil.DbFiles;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.time.Duration;
import java.time.Instant;
import java.time.InstantSource;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Function;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@link KeelDb#writeIdempotent} (SPEC part 8): the first run stores its record in the same
 * transaction as its writes, a retry replays without writing, a different request or a running key
 * is refused, a failing run stores nothing, records expire and are purged (on request and in the
 * background), survive close, checkpoint and a crash image, and two writers past the in-flight set
 * are settled by the record's unique key. Also {@link Transaction#committedLsn()},
 * {@link KeelDb#planSchema} and the reserved {@code keel_} type names.
 */
class IdempotentWriteTest {
    static final EntityType ORDER = EntityType.builder("Order")
            .field(Field.text("key").required())
            .field(Field.longField("amount").required())
            .build();
    static final EntityType ACCOUNT = EntityType.builder("Account")
            .field(Field.longField("balance").required())
            .build();
    static final String RECORDS = "keel_idempotency";

    @TempDir
    Path tmp;

    private final List<KeelDb> opened = new ArrayList<>();
    private final ManualClock clock = new ManualClock(Instant.parse("2030-01-01T00:00:00Z"));

    @AfterEach
    void closeAll() {
        for (KeelDb db : opened) {
            try {
                db.close();
            } catch (RuntimeException ignored) {
                // The test's own assertions matter more than a failing close here.
            }
        }
    }

    /** A clock moved by hand. */
    static final class ManualClock implements InstantSource {
        private final AtomicLong nanos = new AtomicLong();
        private final Instant origin;

        ManualClock(Instant origin) {
            this.origin = origin;
        }

        @Override
        public Instant instant() {
            return origin.plusNanos(nanos.get());
        }

        void advance(Duration d) {
            nanos.addAndGet(d.toNanos());
        }
    }

    KeelOptions.Builder options() {
        return KeelOptions.builder().entityTypes(ORDER, ACCOUNT).clock(clock);
    }

    KeelDb open(KeelOptions options) {
        return open(tmp.resolve("db"), options);
    }

    KeelDb open(Path dir, KeelOptions options) {
        KeelDb db = KeelDb.open(dir, options);
        opened.add(db);
        return db;
    }

    KeelDb open() {
        return open(options().build());
    }

    static byte[] bytes(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    /** Work that inserts an order tagged with {@code key} and answers with its id. */
    static Function<Transaction, byte[]> placeOrder(String key, long amount, AtomicInteger runs) {
        return tx -> {
            runs.incrementAndGet();
            long id = tx.insert("Order", Map.of("key", key, "amount", amount));
            return bytes("order " + id);
        };
    }

    static Function<Transaction, byte[]> mustNotRun() {
        return tx -> {
            throw new AssertionError("the work ran again for a replayed key");
        };
    }

    static List<Entity> records(KeelDb db) {
        return db.snapshot().scan(RECORDS).toList();
    }

    static List<Entity> ordersOf(KeelDb db, String key) {
        return db.snapshot().scan("Order").filter(e -> key.equals(e.values().get("key"))).toList();
    }

    static byte[] sha256(byte[] b) throws Exception {
        return MessageDigest.getInstance("SHA-256").digest(b);
    }

    // ---------------------------------------------------------------- first run and replay

    @Test
    void firstRunStoresTheRecordWithItsWritesAndIsNotReplayed() throws Exception {
        KeelDb db = open();
        AtomicInteger runs = new AtomicInteger();
        byte[] request = bytes("POST /orders {\"amount\":5}");
        IdempotentResult r = db.writeIdempotent("k-1", request, placeOrder("k-1", 5, runs));
        assertFalse(r.replayed());
        assertEquals(1, runs.get());
        assertArrayEquals(bytes("order 1"), r.response());
        assertEquals(clock.instant(), r.createdAt());
        Entity order = ordersOf(db, "k-1").get(0);
        assertEquals(r.commitLsn(), order.version(), "commitLsn is the version of what the commit wrote");
        assertEquals(r.commitLsn(), db.snapshot().lsn());
        List<Entity> records = records(db);
        assertEquals(1, records.size());
        Entity rec = records.get(0);
        assertEquals(r.commitLsn(), rec.version(), "the record is written by the same commit");
        assertEquals("k-1", rec.values().get("key"));
        assertArrayEquals(sha256(request), (byte[]) rec.values().get("request"), "only the fingerprint is stored");
        assertArrayEquals(r.response(), (byte[]) rec.values().get("response"));
        assertEquals(r.createdAt(), rec.values().get("createdAt"));
        assertEquals(r.createdAt().plus(Duration.ofHours(24)), rec.values().get("expiresAt"), "default TTL 24 h");
    }

    @Test
    void retryReplaysTheSameResultAndWritesNothing() {
        KeelDb db = open();
        AtomicInteger runs = new AtomicInteger();
        byte[] request = bytes("POST /orders 7");
        IdempotentResult first = db.writeIdempotent("retry", request, placeOrder("retry", 7, runs));
        clock.advance(Duration.ofMinutes(5));
        long lsn = db.snapshot().lsn();
        long orders = db.snapshot().count("Order");
        for (int i = 0; i < 3; i++) {
            IdempotentResult again = db.writeIdempotent("retry", request.clone(), mustNotRun());
            assertTrue(again.replayed());
            assertArrayEquals(first.response(), again.response());
            assertEquals(first.commitLsn(), again.commitLsn());
            assertEquals(first.createdAt(), again.createdAt(), "createdAt is the first run's");
            assertEquals(new IdempotentResult(first.response(), true, first.commitLsn(), first.createdAt()), again);
        }
        assertEquals(1, runs.get());
        assertEquals(lsn, db.snapshot().lsn(), "a replay commits nothing");
        assertEquals(orders, db.snapshot().count("Order"));
        assertEquals(1, db.snapshot().count(RECORDS));
    }

    @Test
    void aDifferentRequestWithTheSameKeyIsRefused() {
        KeelDb db = open();
        db.writeIdempotent("same", bytes("POST /orders 1"), placeOrder("same", 1, new AtomicInteger()));
        long lsn = db.snapshot().lsn();
        IdempotencyKeyException e = assertThrows(IdempotencyKeyException.class,
                () -> db.writeIdempotent("same", bytes("POST /orders 2"), mustNotRun()));
        assertEquals(IdempotencyKeyException.Reason.REUSED_WITH_DIFFERENT_REQUEST, e.reason());
        assertEquals(ErrorCode.IDEMPOTENCY_KEY_REUSED, e.code());
        assertEquals(701, e.code().id());
        assertEquals("same", e.key());
        assertTrue(e.getMessage().contains("use a new key for a different request"), e.getMessage());
        assertEquals(lsn, db.snapshot().lsn());
        assertEquals(1, ordersOf(db, "same").size());
    }

    @Test
    void aKeyRunningInThisProcessIsInProgressForEveryOtherCaller() throws Exception {
        KeelDb db = open();
        CountDownLatch entered = new CountDownLatch(1);
        CountDownLatch release = new CountDownLatch(1);
        ExecutorService pool = Executors.newSingleThreadExecutor();
        try {
            Future<IdempotentResult> first = pool.submit(() -> db.writeIdempotent("busy", bytes("r"), tx -> {
                entered.countDown();
                await(release);
                tx.insert("Order", Map.of("key", "busy", "amount", 1L));
                return bytes("done");
            }));
            assertTrue(entered.await(10, TimeUnit.SECONDS));
            long started = System.nanoTime();
            IdempotencyKeyException e = assertThrows(IdempotencyKeyException.class,
                    () -> db.writeIdempotent("busy", bytes("r"), mustNotRun()));
            assertTrue(System.nanoTime() - started < TimeUnit.SECONDS.toNanos(5), "IN_PROGRESS does not wait");
            assertEquals(IdempotencyKeyException.Reason.IN_PROGRESS, e.reason());
            assertEquals(ErrorCode.IDEMPOTENCY_KEY_IN_PROGRESS, e.code());
            assertEquals(700, e.code().id());
            assertEquals("busy", e.key());
            assertTrue(e.getMessage().contains("wait for the first request to finish and retry"), e.getMessage());
            // Even a different request with the key is in progress, and another key is not held up.
            assertEquals(IdempotencyKeyException.Reason.IN_PROGRESS, assertThrows(IdempotencyKeyException.class,
                    () -> db.writeIdempotent("busy", bytes("other"), mustNotRun())).reason());
            assertFalse(db.writeIdempotent("free", bytes("r"), tx -> bytes("x")).replayed());
            release.countDown();
            assertFalse(first.get(10, TimeUnit.SECONDS).replayed());
            IdempotentResult again = db.writeIdempotent("busy", bytes("r"), mustNotRun());
            assertTrue(again.replayed(), "once the first finished, a retry replays it");
            assertArrayEquals(bytes("done"), again.response());
        } finally {
            release.countDown();
            pool.shutdownNow();
        }
    }

    private static void await(CountDownLatch latch) {
        try {
            if (!latch.await(20, TimeUnit.SECONDS)) {
                throw new AssertionError("latch not released");
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError(e);
        }
    }

    @Test
    void failingWorkStoresNothingAndARetryRunsItAgain() {
        KeelDb db = open();
        long lsn = db.snapshot().lsn();
        IllegalStateException boom = new IllegalStateException("payment service down");
        AtomicInteger runs = new AtomicInteger();
        IllegalStateException thrown = assertThrows(IllegalStateException.class, () -> db.writeIdempotent("fails",
                bytes("r"), tx -> {
                    runs.incrementAndGet();
                    tx.insert("Order", Map.of("key", "fails", "amount", 1L));
                    throw boom;
                }));
        assertSame(boom, thrown, "the work's exception propagates unchanged");
        assertEquals(lsn, db.snapshot().lsn());
        assertEquals(0, records(db).size());
        assertEquals(0, ordersOf(db, "fails").size());
        IdempotentResult retry = db.writeIdempotent("fails", bytes("r"), placeOrder("fails", 1, runs));
        assertFalse(retry.replayed());
        assertEquals(2, runs.get());
        assertEquals(1, ordersOf(db, "fails").size());

        // Work returning null is refused the same way: nothing stored.
        IllegalStateException e = assertThrows(IllegalStateException.class, () -> db.writeIdempotent("null",
                bytes("r"), tx -> {
                    tx.insert("Order", Map.of("key", "null", "amount", 1L));
                    return null;
                }));
        assertTrue(e.getMessage().contains("returned null"), e.getMessage());
        assertEquals(0, ordersOf(db, "null").size());
        assertEquals(1, records(db).size());
        // A refused key leaves the in-flight set: the next call runs.
        assertFalse(db.writeIdempotent("null", bytes("r"), tx -> new byte[0]).replayed());
    }

    // ---------------------------------------------------------------- expiry and purge

    @Test
    void anExpiredKeyRunsAgainAndReplacesItsRecord() {
        KeelDb db = open(options().idempotencyKeyTtl(Duration.ofHours(1)).build());
        AtomicInteger runs = new AtomicInteger();
        IdempotentResult first = db.writeIdempotent("exp", bytes("a"), placeOrder("exp", 1, runs));
        clock.advance(Duration.ofMinutes(59));
        assertTrue(db.writeIdempotent("exp", bytes("a"), mustNotRun()).replayed());
        assertThrows(IdempotencyKeyException.class, () -> db.writeIdempotent("exp", bytes("b"), mustNotRun()));
        clock.advance(Duration.ofMinutes(1)); // expiresAt is exclusive
        IdempotentResult second = db.writeIdempotent("exp", bytes("b"), placeOrder("exp", 2, runs));
        assertFalse(second.replayed(), "an expired record counts as absent, whatever its request");
        assertEquals(2, runs.get());
        assertNotEquals(first.commitLsn(), second.commitLsn());
        assertEquals(first.createdAt().plus(Duration.ofHours(1)), second.createdAt());
        List<Entity> records = records(db);
        assertEquals(1, records.size(), "the expired record was replaced in the same transaction");
        assertEquals(second.commitLsn(), records.get(0).version());
        assertEquals(2, ordersOf(db, "exp").size(), "both runs' writes stay");
        assertTrue(db.writeIdempotent("exp", bytes("b"), mustNotRun()).replayed());
    }

    @Test
    void purgeDeletesOnlyExpiredRecordsInBatches() {
        AtomicInteger commits = new AtomicInteger();
        KeelDb db = open(options().idempotencyKeyTtl(Duration.ofHours(1)).durability(Durability.ASYNC)
                .crashHook(p -> {
                    if (p == CrashPoint.COMMIT_AFTER_PUBLISH) {
                        commits.incrementAndGet();
                    }
                }).build());
        int old = 2 * 1000 + 345;
        for (int i = 0; i < old; i++) {
            String key = "old-" + i;
            db.writeIdempotent(key, bytes(key), tx -> bytes("r"));
        }
        clock.advance(Duration.ofMinutes(30));
        for (int i = 0; i < 10; i++) {
            String key = "new-" + i;
            db.writeIdempotent(key, bytes(key), placeOrder(key, i, new AtomicInteger()));
        }
        clock.advance(Duration.ofMinutes(40));
        int before = commits.get();
        assertEquals(old, db.purgeExpiredIdempotencyKeys());
        assertEquals(3, commits.get() - before, "at most 1,000 deletes per transaction");
        List<Entity> left = records(db);
        assertEquals(10, left.size());
        assertTrue(left.stream().allMatch(e -> ((String) e.values().get("key")).startsWith("new-")));
        assertEquals(0, db.purgeExpiredIdempotencyKeys());
        assertEquals(10, db.snapshot().count("Order"), "the purge deletes records, never the writes");
        assertTrue(db.writeIdempotent("new-3", bytes("new-3"), mustNotRun()).replayed());
        assertFalse(db.writeIdempotent("old-3", bytes("anything"), tx -> bytes("again")).replayed());
    }

    @Test
    void theBackgroundPurgeRunsEveryInterval() throws Exception {
        KeelDb db = open(options().idempotencyKeyTtl(Duration.ofMinutes(1))
                .idempotencyPurgeInterval(Duration.ofMillis(50)).build());
        for (int i = 0; i < 5; i++) {
            db.writeIdempotent("bg-" + i, bytes("r"), placeOrder("bg-" + i, i, new AtomicInteger()));
        }
        Thread.sleep(300);
        assertEquals(5, records(db).size(), "nothing expired yet");
        clock.advance(Duration.ofMinutes(2));
        db.writeIdempotent("young", bytes("r"), tx -> bytes("r"));
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
        while (records(db).size() > 1 && System.nanoTime() < deadline) {
            Thread.sleep(20);
        }
        List<Entity> left = records(db);
        assertEquals(1, left.size(), "the background purge deleted the expired records");
        assertEquals("young", left.get(0).values().get("key"));
        assertEquals(5, db.snapshot().count("Order"));
        assertEquals(0, db.engine().idempotentWrites().purgeFailures());
        assertTrue(db.engine().idempotentWrites().purgedRecords() >= 5);
        assertTrue(db.health().status() != Health.Status.UNHEALTHY);
    }

    @Test
    void optionsValidateAndDefault() {
        KeelOptions d = KeelOptions.defaults();
        assertEquals(Duration.ofHours(24), d.idempotencyKeyTtl());
        assertEquals(Duration.ofMinutes(1), d.idempotencyPurgeInterval());
        KeelOptions o = KeelOptions.builder().idempotencyKeyTtl(Duration.ofSeconds(5))
                .idempotencyPurgeInterval(Duration.ofSeconds(7)).build().toBuilder().build();
        assertEquals(Duration.ofSeconds(5), o.idempotencyKeyTtl());
        assertEquals(Duration.ofSeconds(7), o.idempotencyPurgeInterval());
        for (Duration bad : List.of(Duration.ZERO, Duration.ofSeconds(-1))) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> KeelOptions.builder().idempotencyKeyTtl(bad));
            assertTrue(e.getMessage().contains("idempotencyKeyTtl"), e.getMessage());
            assertThrows(IllegalArgumentException.class, () -> KeelOptions.builder().idempotencyPurgeInterval(bad));
        }
    }

    // ---------------------------------------------------------------- durability

    @Test
    void recordsSurviveCloseCheckpointAndACrashImage() {
        Path dir = tmp.resolve("durable");
        KeelDb db = open(dir, options().build());
        IdempotentResult a = db.writeIdempotent("a", bytes("ra"), placeOrder("a", 1, new AtomicInteger()));
        db.checkpoint();
        IdempotentResult b = db.writeIdempotent("b", bytes("rb"), placeOrder("b", 2, new AtomicInteger()));
        Path image = tmp.resolve("image");
        DbFiles.copy(dir, image); // what a killed process leaves: a in the checkpoint, b only in the log
        IdempotentResult c = db.writeIdempotent("c", bytes("rc"), placeOrder("c", 3, new AtomicInteger()));
        db.close();
        for (Path p : List.of(dir, image)) {
            KeelDb reopened = open(p, options().build());
            for (IdempotentResult r : p.equals(dir) ? List.of(a, b, c) : List.of(a, b)) {
                String key = r == a ? "a" : r == b ? "b" : "c";
                IdempotentResult again = reopened.writeIdempotent(key, bytes("r" + key), mustNotRun());
                assertTrue(again.replayed(), key + " in " + p);
                assertEquals(r.commitLsn(), again.commitLsn());
                assertEquals(r.createdAt(), again.createdAt());
                assertArrayEquals(r.response(), again.response());
                assertEquals(r.commitLsn(), ordersOf(reopened, key).get(0).version());
            }
            if (p.equals(image)) {
                assertFalse(reopened.writeIdempotent("c", bytes("rc"), placeOrder("c", 3, new AtomicInteger()))
                        .replayed(), "c was committed after the image was taken");
            }
            reopened.close();
        }
    }

    // ---------------------------------------------------------------- concurrency

    /**
     * Two writers past the in-flight set (a second {@link IdempotentWrites} over the same engine, as
     * another process sharing the database would be): the first runs its work and waits; the second
     * commits its record; the first's commit then fails on the record's unique key, writes nothing,
     * and answers from the winner's record.
     */
    @Test
    void aWriterPastTheInFlightSetLosesAtCommitAndAnswersFromTheWinner() throws Exception {
        KeelDb db = open();
        IdempotentWrites otherProcess = new IdempotentWrites(db.engine());
        for (boolean sameRequest : new boolean[] {true, false}) {
            String key = "race-" + sameRequest;
            CountDownLatch entered = new CountDownLatch(1);
            CountDownLatch release = new CountDownLatch(1);
            AtomicInteger loserRuns = new AtomicInteger();
            ExecutorService pool = Executors.newSingleThreadExecutor();
            try {
                Future<IdempotentResult> loser = pool.submit(() -> db.writeIdempotent(key, bytes("req"), tx -> {
                    if (loserRuns.incrementAndGet() == 1) {
                        entered.countDown();
                        await(release);
                    }
                    tx.insert("Order", Map.of("key", key, "amount", 100L));
                    return bytes("loser");
                }));
                assertTrue(entered.await(10, TimeUnit.SECONDS));
                IdempotentResult winner = otherProcess.write(key, bytes(sameRequest ? "req" : "other"), tx -> {
                    tx.insert("Order", Map.of("key", key, "amount", 1L));
                    return bytes("winner");
                });
                assertFalse(winner.replayed());
                release.countDown();
                if (sameRequest) {
                    IdempotentResult r = loser.get(10, TimeUnit.SECONDS);
                    assertTrue(r.replayed(), "the loser answers as a replay of the winner");
                    assertArrayEquals(bytes("winner"), r.response());
                    assertEquals(winner.commitLsn(), r.commitLsn());
                } else {
                    Exception e = assertThrows(Exception.class, () -> loser.get(10, TimeUnit.SECONDS));
                    IdempotencyKeyException k = (IdempotencyKeyException) e.getCause();
                    assertEquals(IdempotencyKeyException.Reason.REUSED_WITH_DIFFERENT_REQUEST, k.reason());
                }
                assertEquals(1, loserRuns.get(), "the loser's work ran once and was not applied");
                List<Entity> orders = ordersOf(db, key);
                assertEquals(1, orders.size(), "only the winner's write is there");
                assertEquals(1L, orders.get(0).values().get("amount"));
                assertEquals(1, records(db).stream().filter(e -> key.equals(e.values().get("key"))).count());
            } finally {
                release.countDown();
                pool.shutdownNow();
            }
        }
    }

    /** Many threads, few keys: every key's work runs exactly once, and every caller gets its result or IN_PROGRESS. */
    @Test
    void concurrentCallersRunEachKeyOnce() throws Exception {
        KeelDb db = open(options().durability(Durability.GROUP).build());
        int threads = 6;
        int keys = 12;
        Map<String, AtomicInteger> runs = new java.util.concurrent.ConcurrentHashMap<>();
        Map<String, List<IdempotentResult>> results = new java.util.concurrent.ConcurrentHashMap<>();
        AtomicInteger inProgress = new AtomicInteger();
        ExecutorService pool = Executors.newFixedThreadPool(threads);
        try {
            List<Future<?>> done = new ArrayList<>();
            for (int t = 0; t < threads; t++) {
                int seed = t;
                done.add(pool.submit(() -> {
                    SplittableRandom r = new SplittableRandom(seed);
                    for (int i = 0; i < 150; i++) {
                        String key = "c-" + r.nextInt(keys);
                        try {
                            IdempotentResult res = db.writeIdempotent(key, bytes(key), tx -> {
                                runs.computeIfAbsent(key, k -> new AtomicInteger()).incrementAndGet();
                                long id = tx.insert("Order", Map.of("key", key, "amount", 1L));
                                return bytes(key + "#" + id);
                            });
                            results.computeIfAbsent(key, k -> java.util.Collections.synchronizedList(new ArrayList<>()))
                                    .add(res);
                        } catch (IdempotencyKeyException e) {
                            assertEquals(IdempotencyKeyException.Reason.IN_PROGRESS, e.reason());
                            inProgress.incrementAndGet();
                        }
                    }
                    return null;
                }));
            }
            for (Future<?> f : done) {
                f.get(60, TimeUnit.SECONDS);
            }
        } finally {
            pool.shutdownNow();
        }
        for (Map.Entry<String, List<IdempotentResult>> e : results.entrySet()) {
            assertEquals(1, runs.get(e.getKey()).get(), "work of " + e.getKey() + " ran once");
            IdempotentResult first = e.getValue().stream().filter(x -> !x.replayed()).findFirst().orElseThrow();
            assertEquals(1, e.getValue().stream().filter(x -> !x.replayed()).count());
            for (IdempotentResult x : e.getValue()) {
                assertArrayEquals(first.response(), x.response());
                assertEquals(first.commitLsn(), x.commitLsn());
            }
            assertEquals(1, ordersOf(db, e.getKey()).size());
        }
        System.out.println("concurrentCallersRunEachKeyOnce: " + inProgress.get() + " calls were IN_PROGRESS");
    }

    // ---------------------------------------------------------------- arguments and modes

    @Test
    void keysAreValidated() {
        KeelDb db = open();
        Map<String, String> bad = new HashMap<>();
        bad.put("", "1 to 255 characters");
        bad.put("x".repeat(256), "1 to 255 characters");
        bad.put("has space", "U+0020");
        bad.put("tab\t", "U+0009");
        bad.put("caf\u00e9", "U+00E9");
        bad.put("del\u007f", "U+007F");
        bad.put("nul\u0000", "U+0000");
        for (Map.Entry<String, String> e : bad.entrySet()) {
            IllegalArgumentException ex = assertThrows(IllegalArgumentException.class,
                    () -> db.writeIdempotent(e.getKey(), bytes("r"), mustNotRun()), e.getKey());
            assertTrue(ex.getMessage().contains(e.getValue()), ex.getMessage());
        }
        assertTrue(assertThrows(IllegalArgumentException.class, () -> db.writeIdempotent(null, bytes("r"),
                mustNotRun())).getMessage().contains("missing"));
        assertThrows(NullPointerException.class, () -> db.writeIdempotent("k", null, mustNotRun()));
        assertThrows(NullPointerException.class, () -> db.writeIdempotent("k", bytes("r"), null));
        StringBuilder every = new StringBuilder();
        for (char c = 0x21; c <= 0x7E; c++) {
            every.append(c);
        }
        assertFalse(db.writeIdempotent(every.toString(), bytes("r"), tx -> bytes("ok")).replayed());
        assertFalse(db.writeIdempotent("y".repeat(255), bytes("r"), tx -> bytes("ok")).replayed());
        assertTrue(db.writeIdempotent("y".repeat(255), bytes("r"), mustNotRun()).replayed());
        assertEquals(0, db.snapshot().count("Order"));
    }

    @Test
    void readOnlyDatabasesRefuseIdempotentWritesButKeepTheRecords() {
        Path dir = tmp.resolve("ro");
        try (KeelDb db = KeelDb.open(dir, options().build())) {
            db.writeIdempotent("ro", bytes("r"), tx -> bytes("x"));
        }
        KeelDb ro = open(dir, options().recoveryMode(RecoveryMode.READ_ONLY).build());
        assertThrows(ReadOnlyException.class, () -> ro.writeIdempotent("ro", bytes("r"), mustNotRun()));
        assertThrows(ReadOnlyException.class, ro::purgeExpiredIdempotencyKeys);
        assertEquals(1, records(ro).size());
    }

    /**
     * Work that commits the transaction itself would commit its writes without the record (a write
     * without its key, G1), and a retry would run it again. The commit is refused; nothing is written.
     */
    @Test
    void workThatCommitsItsTransactionIsRefusedAndWritesNothing() {
        KeelDb db = open();
        AtomicInteger runs = new AtomicInteger();
        IllegalStateException e = assertThrows(IllegalStateException.class, () -> db.writeIdempotent("self",
                bytes("r"), tx -> {
                    runs.incrementAndGet();
                    tx.insert("Order", Map.of("key", "self", "amount", 1L));
                    tx.commit();
                    return bytes("committed by the work");
                }));
        assertTrue(e.getMessage().contains("writeIdempotent"), e.getMessage());
        assertEquals(0, ordersOf(db, "self").size(), "no write without its key");
        assertEquals(0, records(db).size());
        assertFalse(db.writeIdempotent("self", bytes("r"), placeOrder("self", 1, runs)).replayed());
        assertEquals(1, ordersOf(db, "self").size());
        assertEquals(2, runs.get());
    }

    // ---------------------------------------------------------------- committedLsn

    @Test
    void committedLsnIsTheVersionOfEverythingTheCommitWrote() {
        KeelDb db = open();
        long account = db.write(tx -> tx.insert("Account", Map.of("balance", 0L)));
        Transaction tx = db.begin();
        long o1 = tx.insert("Order", Map.of("key", "x", "amount", 1L));
        long o2 = tx.insert("Order", Map.of("key", "x", "amount", 2L));
        tx.update("Account", account, Map.of("balance", 3L));
        IllegalStateException before = assertThrows(IllegalStateException.class, tx::committedLsn);
        assertTrue(before.getMessage().contains("commit"), before.getMessage());
        tx.commit();
        long lsn = tx.committedLsn();
        for (Entity e : List.of(db.snapshot().get("Order", o1).orElseThrow(),
                db.snapshot().get("Order", o2).orElseThrow(), db.snapshot().get("Account", account).orElseThrow())) {
            assertEquals(lsn, e.version(), e.toString());
        }
        assertEquals(lsn, db.snapshot().lsn());
        tx.close();

        Transaction empty = db.begin();
        long seen = empty.lsn();
        empty.commit();
        assertEquals(seen, empty.committedLsn(), "a commit that wrote nothing: the LSN of its snapshot");

        Transaction rolledBack = db.begin();
        rolledBack.insert("Order", Map.of("key", "y", "amount", 1L));
        rolledBack.rollback();
        assertThrows(IllegalStateException.class, rolledBack::committedLsn);
    }

    // ---------------------------------------------------------------- planSchema

    @Test
    void planSchemaReportsChangesAndProblemsWithoutApplyingThem() {
        KeelDb db = open();
        db.write(tx -> tx.insert("Order", Map.of("key", "k", "amount", 1L)));
        List<EntityType> before = db.schema();
        long lsn = db.snapshot().lsn();

        assertEquals(List.of(), db.planSchema(List.of(ORDER, ACCOUNT)).changes());
        assertTrue(db.planSchema(List.of()).compatible(), "types not declared stay stored");
        assertEquals(List.of(), db.planSchema(List.of()).changes());

        EntityType orderV2 = EntityType.builder("Order")
                .field(Field.text("key").required())
                .field(Field.longField("amount").required())
                .field(Field.text("note").defaultValue("none"))
                .index("amount")
                .build();
        EntityType invoice = EntityType.builder("Invoice").field(Field.longField("total")).build();
        SchemaChangePlan plan = db.planSchema(List.of(orderV2, ACCOUNT, invoice));
        assertTrue(plan.compatible(), plan.toString());
        assertTrue(plan.changes().contains("add type Invoice"), plan.changes().toString());
        assertTrue(plan.changes().stream().anyMatch(c -> c.startsWith("add field Order.note")), plan.changes().toString());
        assertTrue(plan.changes().stream().anyMatch(c -> c.contains("index Order.")), plan.changes().toString());
        assertTrue(plan.changes().stream().noneMatch(c -> c.contains("keel_")), "system types are not the user's change");

        EntityType narrowed = EntityType.builder("Order")
                .field(Field.text("key").required())
                .field(Field.text("amount").required())
                .build();
        SchemaChangePlan bad = db.planSchema(List.of(narrowed, ACCOUNT));
        assertFalse(bad.compatible());
        assertEquals(1, bad.problems().size(), bad.problems().toString());
        assertTrue(bad.problems().get(0).contains("Order.amount"), bad.problems().get(0));
        assertThrows(UnsupportedOperationException.class, () -> bad.problems().add("x"));
        assertThrows(IllegalArgumentException.class, () -> db.planSchema(List.of(ORDER, ORDER)));

        assertEquals(before, db.schema(), "planning changed nothing");
        assertEquals(lsn, db.snapshot().lsn());
        assertThrows(IllegalArgumentException.class, () -> db.snapshot().count("Invoice"));
    }

    // ---------------------------------------------------------------- the system type

    @EntityName("keel_order")
    record ReservedRecord(String name) {
    }

    @Test
    void userTypesCannotUseTheReservedPrefix() {
        for (String name : List.of("keel_x", "keel_idempotency", "keel_")) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> EntityType.builder(name));
            assertTrue(e.getMessage().contains("reserved"), e.getMessage());
        }
        assertTrue(assertThrows(IllegalArgumentException.class, () -> EntityType.of(ReservedRecord.class))
                .getMessage().contains("reserved"));
        assertThrows(IllegalArgumentException.class, () -> ORDER.named("keel_orders"));
        assertThrows(IllegalArgumentException.class, () -> EntityType.builder("Order2").renamedFrom("keel_idempotency")
                .field(Field.text("key")).build());
        IllegalArgumentException ref = assertThrows(IllegalArgumentException.class, () -> KeelOptions.builder()
                .entityType(EntityType.builder("Audit").field(Field.reference("rec", "keel_idempotency")).build())
                .build());
        assertTrue(ref.getMessage().contains("system type"), ref.getMessage());
        assertEquals("Keel_x", EntityType.builder("Keel_x").field(Field.text("a")).build().name(),
                "the prefix is keel_, lower case");
        assertEquals("keelx", EntityType.builder("keelx").field(Field.text("a")).build().name());
    }

    @Test
    void theSystemTypeIsHiddenFromTheSchemaAndNotWritableByTransactions() {
        KeelDb db = open();
        db.writeIdempotent("sys", bytes("r"), tx -> bytes("x"));
        assertEquals(List.of("Order", "Account"), db.schema().stream().map(EntityType::name).toList());
        long recordId = records(db).get(0).id();
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> db.execute(tx ->
                tx.insert(RECORDS, Map.of("key", "forged"))));
        assertTrue(e.getMessage().contains("system type"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> db.execute(tx -> tx.insert(RECORDS, 99, Map.of())));
        assertThrows(IllegalArgumentException.class, () -> db.execute(tx -> tx.update(RECORDS, recordId,
                Map.of("response", bytes("forged")))));
        assertThrows(IllegalArgumentException.class, () -> db.execute(tx -> tx.delete(RECORDS, recordId)));
        assertThrows(IllegalArgumentException.class, () -> db.createIndex(RECORDS, Index.on("createdAt")));
        assertEquals(1, records(db).size());
        assertTrue(db.writeIdempotent("sys", bytes("r"), mustNotRun()).replayed());
        // Queries work, through the record's indexes.
        assertEquals(1, db.snapshot().query(Query.on(RECORDS).eq("key", "sys")).count());
        assertTrue(db.snapshot().explain(Query.on(RECORDS).eq("key", "sys")).usesIndex());

        // A database opened without declared types has the system type too, still hidden.
        db.close();
        KeelDb plain = open(tmp.resolve("plain"), KeelOptions.builder().clock(clock).build());
        assertEquals(List.of(), plain.schema());
        assertFalse(plain.writeIdempotent("k", bytes("r"), tx -> bytes("no writes")).replayed());
        assertTrue(plain.writeIdempotent("k", bytes("r"), mustNotRun()).replayed());
    }

    // ---------------------------------------------------------------- seeded model

    /**
     * Random calls (keys from a small pool, requests from two variants, failing work now and then),
     * clock moves, purges, checkpoints and reopens against a model of what each key holds. Prints its
     * seed; replay with {@code -Dkeel.test.seed}.
     */
    @Test
    void randomCallsMatchTheModel() {
        Long fixed = Long.getLong("keel.test.seed");
        long seed = fixed != null ? fixed : ThreadLocalRandom.current().nextLong();
        int steps = 400 * Math.max(1, Integer.getInteger("keel.test.multiplier", 1));
        System.out.println("IdempotentWriteTest.randomCallsMatchTheModel: seed=" + seed + " (replay with"
                + " -Dkeel.test.seed=" + seed + "), " + steps + " steps");
        SplittableRandom random = new SplittableRandom(seed);
        Duration ttl = Duration.ofMinutes(10);
        KeelOptions options = options().idempotencyKeyTtl(ttl).idempotencyPurgeInterval(Duration.ofHours(1)).build();
        Path dir = tmp.resolve("model");
        KeelDb db = open(dir, options);
        record Model(byte[] request, byte[] response, long lsn, Instant createdAt, long amount) {
        }
        Map<String, Model> live = new HashMap<>();
        long expectedOrders = 0;
        for (int step = 0; step < steps; step++) {
            String where = "seed=" + seed + " step=" + step;
            int dice = random.nextInt(100);
            if (dice < 75) {
                String key = "m" + random.nextInt(12);
                byte[] request = bytes(key + "/" + random.nextInt(2));
                boolean fail = random.nextInt(8) == 0;
                long amount = random.nextLong(1, 1000);
                Model m = live.get(key);
                if (m != null && !m.createdAt().plus(ttl).isAfter(clock.instant())) {
                    live.remove(key);
                    m = null;
                }
                AtomicInteger runs = new AtomicInteger();
                try {
                    IdempotentResult r = db.writeIdempotent(key, request, tx -> {
                        runs.incrementAndGet();
                        tx.insert("Order", Map.of("key", key, "amount", amount));
                        if (fail) {
                            throw new IllegalStateException("planned failure");
                        }
                        return bytes(key + ":" + amount);
                    });
                    if (m == null) {
                        assertFalse(r.replayed(), where);
                        assertEquals(1, runs.get(), where);
                        live.put(key, new Model(request, r.response(), r.commitLsn(), r.createdAt(), amount));
                        expectedOrders++;
                    } else {
                        assertTrue(r.replayed(), where);
                        assertEquals(0, runs.get(), where);
                        assertArrayEquals(m.request(), request, where + ": a replay needs the same request");
                        assertArrayEquals(m.response(), r.response(), where);
                        assertEquals(m.lsn(), r.commitLsn(), where);
                        assertEquals(m.createdAt(), r.createdAt(), where);
                    }
                } catch (IdempotencyKeyException e) {
                    assertTrue(m != null && !java.util.Arrays.equals(m.request(), request), where + ": " + e);
                    assertEquals(0, runs.get(), where);
                } catch (IllegalStateException e) {
                    assertTrue(fail && m == null, where + ": " + e);
                }
            } else if (dice < 85) {
                clock.advance(Duration.ofSeconds(random.nextInt(400)));
            } else if (dice < 91) {
                Instant now = clock.instant();
                long expired = live.values().stream().filter(x -> !x.createdAt().plus(ttl).isAfter(now)).count();
                long purgeable = records(db).stream().filter(e -> !((Instant) e.values().get("expiresAt")).isAfter(now))
                        .count();
                assertEquals(purgeable, db.purgeExpiredIdempotencyKeys(), where);
                assertTrue(purgeable >= expired, where);
                live.values().removeIf(x -> !x.createdAt().plus(ttl).isAfter(now));
            } else if (dice < 95) {
                db.checkpoint();
            } else {
                db.close();
                db = open(dir, options);
            }
            // Invariants: every live key has exactly one record, equal to the model; orders never vanish.
            Instant now = clock.instant();
            Map<String, Entity> byKey = new HashMap<>();
            for (Entity e : records(db)) {
                assertTrue(byKey.put((String) e.values().get("key"), e) == null, where + ": two records for a key");
            }
            for (Map.Entry<String, Model> e : live.entrySet()) {
                if (!e.getValue().createdAt().plus(ttl).isAfter(now)) {
                    continue;
                }
                Entity rec = byKey.get(e.getKey());
                assertTrue(rec != null, where + ": live key " + e.getKey() + " has no record");
                assertEquals(e.getValue().lsn(), rec.version(), where);
                assertArrayEquals(e.getValue().response(), (byte[]) rec.values().get("response"), where);
                assertEquals(e.getValue().lsn(), ordersOf(db, e.getKey()).stream().filter(o -> o.version()
                        == e.getValue().lsn()).findFirst().orElseThrow(() -> new AssertionError(where
                        + ": no order of the record's commit")).version());
            }
            assertEquals(expectedOrders, db.snapshot().count("Order"), where);
        }
    }
}

package dev.keel.testkit;

import static dev.keel.testkit.FaultTestSupport.MULTIPLIER;
import static dev.keel.testkit.FaultTestSupport.injected;
import static dev.keel.testkit.FaultTestSupport.isWal;
import static dev.keel.testkit.FaultTestSupport.repeat;
import static dev.keel.testkit.FaultTestSupport.replay;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.keel.DatabaseFailedException;
import dev.keel.Durability;
import dev.keel.EntityType;
import dev.keel.Health;
import dev.keel.KeelDb;
import dev.keel.KeelOptions;
import dev.keel.StorageException;
import dev.keel.internal.io.FileIO;
import dev.keel.internal.io.NioFileIO;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.InstantSource;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * G5 for idempotent writes: a failed log sync during the commit of an idempotent first run reaches
 * the caller as a {@link StorageException} carrying the injected fault, the database refuses every
 * later call (a retry of the key too: it is not answered from a record whose commit failed), and
 * after a reopen the record and the work's writes are both present or both absent, and a retry
 * replays or runs the work accordingly. Also: a failed sync in a commit of the background purge
 * fails the database (a failed fsync always does) and, since no caller saw it, close reports it.
 *
 * <p>Replay a failure with {@code -Dkeel.test.seed=<seed>}; scale with {@code -Dkeel.test.multiplier}.
 */
class IdempotencyFaultTest {
    private static final AtomicLong FAILED_COMMIT_PRESENT = new AtomicLong();
    private static final AtomicLong FAILED_COMMIT_ABSENT = new AtomicLong();

    @TempDir
    Path tmp;

    @AfterAll
    static void printOutcomes() {
        System.out.println("IdempotencyFaultTest: after a failed sync in an idempotent commit and a reopen, record and"
                + " write were both present " + FAILED_COMMIT_PRESENT.get() + " times (replayed on retry), both absent "
                + FAILED_COMMIT_ABSENT.get() + " times (run again on retry)");
    }

    static KeelOptions.Builder options(FileIO io) {
        return FaultTestSupport.options(io).entityTypes(IdempotencyModel.TYPES.toArray(EntityType[]::new))
                .durability(Durability.SYNC);
    }

    @Test
    void failedLogSyncInAnIdempotentCommitLeavesRecordAndWriteTogether() {
        repeat("IdempotencyFaultTest.sync", 6 * MULTIPLIER, tmp, (seed, dir) -> failingCommit(seed, dir, false));
    }

    /** The fsync gate: the failed sync also drops the file's dirty data, as the Linux page cache does. */
    @Test
    void failedLogSyncThatDropsDirtyDataLeavesRecordAndWriteTogether() {
        repeat("IdempotencyFaultTest.gate", 6 * MULTIPLIER, tmp, (seed, dir) -> failingCommit(seed, dir, true));
    }

    private static void failingCommit(long seed, Path dir, boolean dropDirty) throws Exception {
        SplittableRandom random = new SplittableRandom(seed);
        FaultyFileIO io = new FaultyFileIO();
        io.dropDirtyDataOnFailedSync(dropDirty);
        IdempotencyModel.Writer idem = new IdempotencyModel.Writer(random.nextLong());
        KeelDb db = KeelDb.open(dir, options(io).build());
        for (int i = 0, warmup = random.nextInt(25); i < warmup; i++) {
            idem.commitNext(db, random.nextInt(6) == 0);
        }
        long nth = 1 + random.nextInt(12);
        io.arm(FaultPlan.failNth(IoOp.SYNC, nth).onlyPaths(FaultTestSupport::isWal));
        StorageException failed = null;
        for (int i = 0; i < 1000 && failed == null; i++) {
            try {
                idem.commitNext(db, random.nextInt(6) == 0);
            } catch (StorageException e) {
                failed = e;
            }
        }
        String context = "SYNC #" + nth + " of a log segment fails (dropDirtyDataOnFailedSync=" + dropDirty + ", "
                + idem.acked() + " idempotent writes acknowledged)";
        String where = context + "; " + replay(seed);
        assertNotNull(failed, "no idempotent write failed; " + where);
        assertEquals(idem.acked() + 1, idem.attempted.size(), "the failing call is a first run's commit; " + where);
        InjectedFaultException fault = injected(failed);
        assertNotNull(fault, "the caller's exception carries the I/O failure: " + failed + "; " + where);
        assertEquals(IoOp.SYNC, fault.operation(), where);
        assertFalse(failed instanceof DatabaseFailedException, "the caller that hit the fault gets it first hand: "
                + failed + "; " + where);
        assertSame(fault, db.failure().orElse(null), "db.failure() is the original I/O failure; " + where);

        IdempotencyModel.Request inFlight = idem.attempted.get(idem.attempted.size() - 1);
        // A retry on the failed database is refused, not answered from a record whose commit failed.
        DatabaseFailedException refused = assertThrows(DatabaseFailedException.class, () -> db.writeIdempotent(
                inFlight.key, inFlight.request, IdempotencyModel.mustNotRun(inFlight.key)), where);
        assertSame(fault, refused.getCause(), where);
        assertThrows(DatabaseFailedException.class, db::purgeExpiredIdempotencyKeys, where);
        // Readers never see the failed commit: neither its record nor its orders.
        assertEquals(idem.acked(), IdempotencyModel.assertConsistent(db.snapshot(), idem, context + "; failed database",
                seed), "the failed commit must not be visible; " + where);
        FaultTestSupport.closeDead(db);

        try (KeelDb reopened = KeelDb.open(dir, options(NioFileIO.INSTANCE).build())) {
            int m = IdempotencyModel.assertConsistent(reopened.snapshot(), idem, context + "; reopened", seed);
            (m == idem.attempted.size() ? FAILED_COMMIT_PRESENT : FAILED_COMMIT_ABSENT).incrementAndGet();
            IdempotencyModel.assertReplays(reopened, idem, m, context + "; reopened", seed);
            IdempotencyModel.Request lost = idem.resume(m);
            if (lost != null) {
                idem.resendLost(reopened, lost); // its work runs now, and it is stored
            }
            idem.commitNext(reopened, false);
        }
        try (KeelDb again = KeelDb.open(dir, options(NioFileIO.INSTANCE).build())) {
            int m = IdempotencyModel.assertConsistent(again.snapshot(), idem, context + "; second reopen", seed);
            assertEquals(idem.attempted.size(), m, where);
            IdempotencyModel.assertReplays(again, idem, m, context + "; second reopen", seed);
        }
    }

    /**
     * G5 under GROUP: a first run is acknowledged once its commit is written, before the group sync.
     * A retry must not be answered from that record before the commit is durable: the replay syncs
     * the log first, and when that sync fails the replay fails (the database with it) instead of
     * answering for a commit a power loss may take back.
     */
    @Test
    void aReplayUnderGroupDurabilityWaitsForTheSyncAndFailsWithIt() {
        Path dir = tmp.resolve("group");
        FaultyFileIO io = new FaultyFileIO();
        io.dropDirtyDataOnFailedSync(true);
        KeelDb db = KeelDb.open(dir, FaultTestSupport.options(io).durability(Durability.GROUP)
                .groupCommitWindow(Duration.ofSeconds(10)).checkpointInterval(Duration.ofHours(1)).build());
        byte[] request = {1, 2, 3};
        assertFalse(db.writeIdempotent("group-key", request, tx -> new byte[] {42}).replayed());
        io.arm(FaultPlan.failNth(IoOp.SYNC, 1).onlyPaths(FaultTestSupport::isWal));
        StorageException e = assertThrows(StorageException.class, () -> db.writeIdempotent("group-key", request,
                IdempotencyModel.mustNotRun("group-key")), "a replay of a commit whose sync fails must not be answered");
        assertNotNull(injected(e), String.valueOf(e));
        assertTrue(db.failure().isPresent());
        FaultTestSupport.closeDead(db);
    }

    /**
     * A failed log sync in a commit of the background purge: the database fails (as for any failed
     * fsync) although no caller was there to see it, so close reports it; the purge's batch is
     * wholly applied or wholly absent after a reopen, and the live records still replay.
     */
    @Test
    void aFailedSyncInTheBackgroundPurgeFailsTheDatabaseAndCloseReportsIt() throws Exception {
        Path dir = tmp.resolve("purge");
        AtomicReference<Instant> now = new AtomicReference<>(Instant.parse("2030-01-01T00:00:00Z"));
        InstantSource clock = now::get;
        FaultyFileIO io = new FaultyFileIO();
        KeelOptions.Builder options = options(io).clock(clock).idempotencyKeyTtl(Duration.ofMinutes(10))
                .idempotencyPurgeInterval(Duration.ofMillis(20));
        IdempotencyModel.Writer idem = new IdempotencyModel.Writer(42);
        KeelDb db = KeelDb.open(dir, options.build());
        for (int i = 0; i < 6; i++) {
            idem.newRequest(db, false);
        }
        now.set(now.get().plus(Duration.ofMinutes(5)));
        for (int i = 0; i < 6; i++) {
            idem.newRequest(db, false);
        }
        long before = db.snapshot().count("keel_idempotency");
        assertEquals(12, before);
        io.arm(FaultPlan.failNth(IoOp.SYNC, 1).onlyPaths(FaultTestSupport::isWal));
        now.set(now.get().plus(Duration.ofMinutes(7))); // the first batch of records is expired now
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
        while (db.failure().isEmpty() && System.nanoTime() < deadline) {
            Thread.sleep(10);
        }
        Throwable first = db.failure().orElse(null);
        assertNotNull(first, "the background purge's failed sync must fail the database");
        assertNotNull(injected(first), String.valueOf(first));
        assertEquals(Health.Status.UNHEALTHY, db.health().status());
        assertEquals(before, db.snapshot().count("keel_idempotency"), "the failed purge commit is not visible");
        StorageException atClose = assertThrows(StorageException.class, db::close,
                "close must report a failure only the background purge saw");
        assertTrue(atClose.getMessage().contains("failed in the background"), atClose.getMessage());

        try (KeelDb reopened = KeelDb.open(dir, FaultTestSupport.options(NioFileIO.INSTANCE)
                .entityTypes(IdempotencyModel.TYPES.toArray(EntityType[]::new)).clock(clock)
                .idempotencyKeyTtl(Duration.ofMinutes(10)).build())) {
            long records = reopened.snapshot().count("keel_idempotency");
            assertTrue(records == 12 || records == 6, "the purge batch is whole or absent: " + records);
            for (IdempotencyModel.Request r : idem.attempted.subList(6, 12)) {
                assertTrue(reopened.writeIdempotent(r.key, r.request, IdempotencyModel.mustNotRun(r.key)).replayed());
            }
            assertEquals(records - 6, reopened.purgeExpiredIdempotencyKeys());
            assertEquals(12, reopened.snapshot().scan(IdempotencyModel.ACCOUNT).findFirst().orElseThrow()
                    .getLong("seq"), "the purge never touches the writes");
        }
    }
}

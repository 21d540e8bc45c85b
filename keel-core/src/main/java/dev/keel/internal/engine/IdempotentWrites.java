package dev.keel.internal.engine;

import dev.keel.BootPhase;
import dev.keel.ConstraintViolationException;
import dev.keel.Entity;
import dev.keel.IdempotencyKeyException;
import dev.keel.IdempotentResult;
import dev.keel.Query;
import dev.keel.Transaction;
import dev.keel.internal.entity.SystemTypes;
import dev.keel.internal.tx.TransactionImpl;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.time.Instant;
import java.time.InstantSource;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.BooleanSupplier;
import java.util.function.Function;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Idempotent writes (SPEC part 8): {@link #write} runs a piece of work in a write transaction at
 * most once per key, and answers a retry with the stored result of the first run.
 *
 * <p>Storage: one entity of the system type {@value SystemTypes#IDEMPOTENCY} per key (key, SHA-256
 * of the request, response, createdAt, expiresAt; see {@link SystemTypes}), inserted by the same
 * transaction as the work's writes. Being ordinary entities, the records are logged, checkpointed,
 * recovered, migrated, backed up and verified like user data, with no format or recovery code of
 * their own. A side table or a log record of its own would need all of that written again, and
 * keeping it atomic with the write would need a second commit protocol.
 *
 * <p>Durability: the record and the work's writes are one transaction, one log transaction, one
 * commit LSN, so after any crash both are present or neither (G1), and under SYNC an acknowledged
 * write has its record (G2). Under GROUP or ASYNC a power loss may take back the latest commits
 * within the mode's bound, and then the record together with its write. A replay answers only from
 * a snapshot, which holds acknowledged commits only, so no record is replayed before its commit is
 * acknowledged (G5); under GROUP and ASYNC, where a commit is acknowledged once written, a replay
 * also waits until the record's commit is synced (syncing the log itself if need be), so a retry is
 * never answered for a commit a power loss or a failing fsync could still take back.
 *
 * <p>Ordering and concurrency: a key running in this process is held in an in-flight set, and a
 * second call with it fails at once with IN_PROGRESS (it does not wait). Another writer past that
 * set (a second instance over the same files, as a process sharing the database would be) meets the
 * unique index on the key: whichever commits second fails the commit check, nothing of its work is
 * applied, and it answers from the winner's record, as a replay (same request) or REUSED (another
 * one). Inside the transaction: read the record; a live one is answered from; an expired one is
 * deleted; then the work runs and the record is inserted; conflicts rerun all of it
 * ({@link Engine#write}).
 *
 * <p>Recovery: nothing of its own. Records are recovered with the entities; a transaction a crash
 * cut off is gone with its record, so a retry runs the work again; the in-flight set lives in memory
 * and starts empty at every open.
 *
 * <p>Expiry: a record is live until its {@code expiresAt} (exclusive), set to createdAt plus the TTL
 * configured when it was written, by {@link dev.keel.KeelOptions#clock()}. An expired record is
 * treated as absent. The purge deletes expired records, at most {@value #PURGE_BATCH} per
 * transaction: on request ({@link #purgeExpired}) and in the background every purge interval
 * ({@link #purgeInBackground}), which runs only on a READY, writable database, stops between batches
 * when it closes, and logs and counts its failures without throwing. (A storage failure during a
 * purge commit fails the database like any commit's, G5, and close then reports it.)
 *
 * <p>Thread-safe. One instance per open database; a second instance over the same engine has its
 * own in-flight set and behaves as another process sharing the database would.
 */
public final class IdempotentWrites {
    private static final Logger LOG = LoggerFactory.getLogger(IdempotentWrites.class);
    /** Most expired records one purge transaction deletes. */
    static final int PURGE_BATCH = 1000;

    private final Engine engine;
    private final InstantSource clock;
    private final Duration ttl;
    private final Set<String> inFlight = ConcurrentHashMap.newKeySet();
    private final AtomicLong purgeFailures = new AtomicLong();
    private final AtomicLong purged = new AtomicLong();

    /** The idempotent writes of {@code engine}, with an in-flight set of their own. */
    public IdempotentWrites(Engine engine) {
        this.engine = Objects.requireNonNull(engine, "engine");
        this.clock = engine.options().clock();
        this.ttl = engine.options().idempotencyKeyTtl();
    }

    /** A stored record, decoded. */
    private record Stored(long id, long version, byte[] fingerprint, byte[] response, Instant createdAt,
            Instant expiresAt) {
        static Stored of(Entity e) {
            Map<String, Object> v = e.values();
            return new Stored(e.id(), e.version(), (byte[]) v.get(SystemTypes.REQUEST),
                    (byte[]) v.get(SystemTypes.RESPONSE), (Instant) v.get(SystemTypes.CREATED_AT),
                    (Instant) v.get(SystemTypes.EXPIRES_AT));
        }

        boolean liveAt(Instant now) {
            return expiresAt.isAfter(now);
        }
    }

    /** What one attempt of the transaction found or did. */
    private record Outcome(Stored replay, byte[] response, Instant createdAt, Transaction tx) {
        IdempotentResult result() {
            return replay != null ? new IdempotentResult(replay.response(), true, replay.version(), replay.createdAt())
                    : new IdempotentResult(response, false, tx.committedLsn(), createdAt);
        }
    }

    /** See {@link dev.keel.KeelDb#writeIdempotent}. */
    public IdempotentResult write(String key, byte[] request, Function<? super Transaction, byte[]> work) {
        requireValidKey(key);
        Objects.requireNonNull(request, "request");
        Objects.requireNonNull(work, "work");
        engine.checkWritable();
        byte[] fingerprint = sha256(request);
        if (!inFlight.add(key)) {
            throw new IdempotencyKeyException(IdempotencyKeyException.Reason.IN_PROGRESS, key);
        }
        try {
            int rounds = engine.options().maxConflictRetries() + 1;
            for (int round = 1; ; round++) {
                try {
                    Outcome outcome = engine.write(tx -> attempt((TransactionImpl) tx, key, fingerprint, work));
                    if (outcome.replay() != null) {
                        // Under GROUP and ASYNC the record may be published before its commit is
                        // synced: answer from it only once it is durable (G5).
                        engine.awaitDurable(outcome.replay().version());
                    }
                    return outcome.result();
                } catch (ConstraintViolationException e) {
                    if (!keyTaken(e) || round >= rounds) {
                        throw e;
                    }
                    // Another writer committed a record for the key after this transaction began;
                    // the next round reads it (once published) and answers from it.
                    engine.awaitPublishedHead();
                }
            }
        } finally {
            inFlight.remove(key);
        }
    }

    private Outcome attempt(TransactionImpl tx, String key, byte[] fingerprint,
            Function<? super Transaction, byte[]> work) {
        Stored found = find(tx, key);
        if (found != null && found.liveAt(clock.instant())) {
            if (!Arrays.equals(found.fingerprint(), fingerprint)) {
                throw new IdempotencyKeyException(IdempotencyKeyException.Reason.REUSED_WITH_DIFFERENT_REQUEST, key);
            }
            return new Outcome(found, null, null, tx);
        }
        if (found != null) {
            tx.deleteSystem(SystemTypes.IDEMPOTENCY, found.id());
        }
        byte[] response;
        // Committed by the work, its writes would be durable without their record (G1).
        tx.refuseCommit("the work of idempotency key '" + key + "' must not commit its transaction: KeelDb"
                + ".writeIdempotent commits it together with the key's record; return the response instead");
        try {
            response = work.apply(tx);
        } finally {
            tx.refuseCommit(null);
        }
        if (response == null) {
            throw new IllegalStateException("the work of idempotency key '" + key + "' returned null; return the"
                    + " response bytes (an empty array for none). Nothing was written");
        }
        Instant createdAt = clock.instant();
        Map<String, Object> record = new LinkedHashMap<>();
        record.put(SystemTypes.KEY, key);
        record.put(SystemTypes.REQUEST, fingerprint);
        record.put(SystemTypes.RESPONSE, response);
        record.put(SystemTypes.CREATED_AT, createdAt);
        record.put(SystemTypes.EXPIRES_AT, expiry(createdAt, ttl));
        tx.insertSystem(SystemTypes.IDEMPOTENCY, record);
        return new Outcome(null, response, createdAt, tx);
    }

    private static Stored find(Transaction tx, String key) {
        return tx.query(Query.on(SystemTypes.IDEMPOTENCY).eq(SystemTypes.KEY, key).limit(1)).findFirst()
                .map(Stored::of).orElse(null);
    }

    /** The commit failed because a record with this key was committed first (unique index on the key). */
    private static boolean keyTaken(ConstraintViolationException e) {
        return SystemTypes.IDEMPOTENCY.equals(e.type()) && "unique".equals(e.rule());
    }

    static Instant expiry(Instant createdAt, Duration ttl) {
        try {
            return createdAt.plus(ttl);
        } catch (ArithmeticException | java.time.DateTimeException e) {
            return Instant.MAX;
        }
    }

    /** Checks a key: 1 to 255 characters, each visible ASCII (0x21 to 0x7E). */
    static void requireValidKey(String key) {
        if (key == null) {
            throw new IllegalArgumentException("idempotency key is missing");
        }
        if (key.isEmpty() || key.length() > SystemTypes.MAX_KEY_LENGTH) {
            throw new IllegalArgumentException("idempotency key must have 1 to " + SystemTypes.MAX_KEY_LENGTH
                    + " characters, had " + key.length());
        }
        for (int i = 0; i < key.length(); i++) {
            char c = key.charAt(i);
            if (c < 0x21 || c > 0x7E) {
                throw new IllegalArgumentException("idempotency key has " + String.format("U+%04X", (int) c)
                        + " at index " + i + "; use visible ASCII characters only (0x21 to 0x7E: no spaces, control"
                        + " or non-ASCII characters)");
            }
        }
    }

    private static byte[] sha256(byte[] bytes) {
        try {
            return MessageDigest.getInstance("SHA-256").digest(bytes);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("this JVM has no SHA-256, which every Java platform must provide", e);
        }
    }

    // ---- purge ---------------------------------------------------------------------------------

    /** Deletes the records expired now, by the caller; see {@link dev.keel.KeelDb#purgeExpiredIdempotencyKeys}. */
    public long purgeExpired() {
        engine.checkWritable();
        return purge(() -> false);
    }

    /** The scheduled purge: never throws; logs and counts a failure. */
    void purgeInBackground() {
        if (engine.isReadOnly() || engine.isClosing() || engine.failure() != null
                || engine.boot().phase() != BootPhase.READY) {
            return; // only a READY, writable database purges
        }
        try {
            long n = purge(engine::isClosing);
            if (n > 0) {
                LOG.debug("database {}: purged {} expired idempotency keys", engine.directory(), n);
            }
        } catch (RuntimeException | Error e) {
            long failures = purgeFailures.incrementAndGet();
            LOG.warn("database {}: purging expired idempotency keys failed ({} failure{} so far); expired keys stay"
                    + " treated as absent, and the purge runs again in {}", engine.directory(), failures,
                    failures == 1 ? "" : "s", engine.options().idempotencyPurgeInterval(), e);
            if (e instanceof Error error) {
                throw error;
            }
        }
    }

    /** Deletes records expired at the start, a batch per transaction, until none is left or {@code stop}. */
    private long purge(BooleanSupplier stop) {
        Instant now = clock.instant();
        long total = 0;
        while (true) {
            int n = engine.write(tx -> {
                List<Long> ids = tx.query(Query.on(SystemTypes.IDEMPOTENCY).lte(SystemTypes.EXPIRES_AT, now)
                        .limit(PURGE_BATCH)).map(Entity::id).toList();
                for (long id : ids) {
                    ((TransactionImpl) tx).deleteSystem(SystemTypes.IDEMPOTENCY, id);
                }
                return ids.size();
            });
            total += n;
            purged.addAndGet(n);
            if (n < PURGE_BATCH || stop.getAsBoolean()) {
                return total;
            }
        }
    }

    /** How many background purges failed since open. */
    public long purgeFailures() {
        return purgeFailures.get();
    }

    /** How many records purges deleted since open (on request and in the background). */
    public long purgedRecords() {
        return purged.get();
    }
}

package dev.keel.testkit;

import static dev.keel.testkit.FaultTestSupport.replay;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.keel.Entity;
import dev.keel.EntityType;
import dev.keel.Field;
import dev.keel.IdempotencyKeyException;
import dev.keel.IdempotentResult;
import dev.keel.KeelDb;
import dev.keel.Snapshot;
import dev.keel.Transaction;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.TreeMap;
import java.util.function.Function;

/**
 * The third workload of the crash matrix: idempotent writes ({@code KeelDb.writeIdempotent}), with
 * a model of what each request wrote and the checks SPEC part 8 asks for after a crash.
 *
 * <p>Requests: each new request has a fresh key and request bytes; its work inserts one to four
 * {@code IdemOrder} entities tagged with the key (some with long notes, so segments rotate) and
 * updates the one {@code IdemAccount}: {@code seq} to the request's number among first runs,
 * {@code balance} plus the orders' amounts, {@code lastKey} to the key. It answers with bytes naming
 * the request, its orders and the new balance. Now and then the writer retries an acknowledged key
 * (which must replay without writing) or sends another request under one (which must be refused).
 *
 * <p>Model: one {@link Writer} owns everything; only first runs write, in order, so after a crash
 * the account's {@code seq} says how many of them survived ({@code m}), and the database must hold
 * exactly the records and orders of the first {@code m} requests, each record written by the commit
 * that wrote its orders (same version): no write without its key, no key without its write.
 * {@link #assertConsistent} checks that; {@link #assertReplays} checks that a retry of every
 * surviving key replays the stored response and commit LSN without writing anything.
 */
final class IdempotencyModel {
    private IdempotencyModel() {
    }

    static final String ORDER = "IdemOrder";
    static final String ACCOUNT = "IdemAccount";
    static final String RECORDS = "keel_idempotency";

    static final List<EntityType> TYPES = List.of(
            EntityType.builder(ORDER).field(Field.text("key").required()).field(Field.longField("seq").required())
                    .field(Field.longField("amount").required()).field(Field.text("note")).index("key").build(),
            EntityType.builder(ACCOUNT).field(Field.longField("seq").required())
                    .field(Field.longField("balance").required()).field(Field.text("lastKey")).build());

    /** One first run: its key and request, what its work wrote and answered, and its acknowledgement. */
    static final class Request {
        final int seq;
        final String key;
        final byte[] request;
        /** The orders the work inserted: id -> values. */
        final Map<Long, Map<String, Object>> orders = new TreeMap<>();
        long accountId;
        long balanceAfter;
        byte[] response;
        /** Set when acknowledged. */
        IdempotentResult result;
        /** The acknowledgement the test dropped, as a client whose response was lost would ({@link Writer#dropLastResponse}). */
        IdempotentResult dropped;

        Request(int seq, String key, byte[] request) {
            this.seq = seq;
            this.key = key;
            this.request = request;
        }
    }

    /** The writer of the idempotency workload and its model. Not thread-safe; one per database. */
    static final class Writer {
        final SplittableRandom random;
        /** First runs attempted, in order: request {@code i} has seq {@code i + 1}. */
        final List<Request> attempted = new ArrayList<>();
        private int acked;
        private long accountId = -1;
        private long balance;
        private final String keyPrefix;
        int replaysChecked;
        int reusesChecked;
        /** Runs before each first run of {@link #commitNext} (a test arms a crash here). */
        Runnable beforeFirstRun = () -> { };

        Writer(long seed) {
            this.random = new SplittableRandom(seed);
            this.keyPrefix = "k" + Long.toHexString(random.nextLong() & 0xFFFFFF) + "-";
        }

        int acked() {
            return acked;
        }

        /** The next call: mostly a new request, sometimes a retry or a reuse of an acknowledged key. */
        void commitNext(KeelDb db, boolean big) {
            int dice = random.nextInt(100);
            if (acked > 0 && dice < 20) {
                Request r = attempted.get(random.nextInt(acked));
                long lsn = db.snapshot().lsn();
                IdempotentResult again = db.writeIdempotent(r.key, r.request.clone(), mustNotRun(r.key));
                assertTrue(again.replayed(), "retry of acknowledged " + r.key);
                assertArrayEquals(r.response, again.response(), "retry of " + r.key);
                assertEquals(r.result.commitLsn(), again.commitLsn(), "retry of " + r.key);
                assertEquals(r.result.createdAt(), again.createdAt(), "retry of " + r.key);
                assertEquals(lsn, db.snapshot().lsn(), "a replay writes nothing");
                replaysChecked++;
            } else if (acked > 0 && dice < 24) {
                Request r = attempted.get(random.nextInt(acked));
                IdempotencyKeyException e = assertThrows(IdempotencyKeyException.class, () -> db.writeIdempotent(r.key,
                        bytes("another request for " + r.key), mustNotRun(r.key)));
                assertEquals(IdempotencyKeyException.Reason.REUSED_WITH_DIFFERENT_REQUEST, e.reason());
                reusesChecked++;
            } else {
                newRequest(db, big);
            }
        }

        /** Sends a new request (a new key): its work runs. */
        void newRequest(KeelDb db, boolean big) {
            int seq = attempted.size() + 1;
            String key = keyPrefix + seq;
            firstRun(db, new Request(seq, key, bytes("POST /orders " + key + " " + random.nextLong())), big);
        }

        /** Sends {@code r} as a new request: the work must run; on acknowledgement the model takes it. */
        private void firstRun(KeelDb db, Request r, boolean big) {
            beforeFirstRun.run();
            int n = 1 + random.nextInt(4);
            List<Long> amounts = new ArrayList<>();
            List<String> notes = new ArrayList<>();
            for (int i = 0; i < n; i++) {
                amounts.add(1 + (long) random.nextInt(1000));
                notes.add(random.nextInt(5) == 0 ? null : text(big ? 2000 + random.nextInt(6000) : 1 + random.nextInt(80)));
            }
            attempted.add(r);
            int[] runs = {0};
            IdempotentResult result = db.writeIdempotent(r.key, r.request, tx -> {
                runs[0]++;
                r.orders.clear();
                long total = balance;
                for (int i = 0; i < n; i++) {
                    Map<String, Object> v = new LinkedHashMap<>();
                    v.put("key", r.key);
                    v.put("seq", (long) r.seq);
                    v.put("amount", amounts.get(i));
                    if (notes.get(i) != null) {
                        v.put("note", notes.get(i));
                    }
                    r.orders.put(tx.insert(ORDER, v), v);
                    total += amounts.get(i);
                }
                r.accountId = account(tx, r, total);
                r.balanceAfter = total;
                r.response = bytes(r.key + " seq=" + r.seq + " orders=" + r.orders.keySet() + " balance=" + total);
                return r.response.clone();
            });
            assertFalse(result.replayed(), "first run of " + r.key);
            assertEquals(1, runs[0], "the work ran once (one writer: no conflicts)");
            assertArrayEquals(r.response, result.response());
            r.result = result;
            acked = r.seq;
            accountId = r.accountId;
            balance = r.balanceAfter;
        }

        private long account(Transaction tx, Request r, long total) {
            Map<String, Object> v = Map.of("seq", (long) r.seq, "balance", total, "lastKey", r.key);
            if (accountId < 0) {
                return tx.insert(ACCOUNT, v);
            }
            tx.update(ACCOUNT, accountId, v);
            return accountId;
        }

        /**
         * Continues after a crash from what survived: the first {@code m} first runs. One that was in
         * flight and survived counts as acknowledged once a retry replayed it ({@link #assertReplays});
         * one that did not survive is forgotten, to be sent again ({@link #resendLost}).
         */
        Request resume(int m) {
            Request lost = null;
            while (attempted.size() > m) {
                lost = attempted.remove(attempted.size() - 1);
            }
            acked = m;
            if (m > 0) {
                Request last = attempted.get(m - 1);
                accountId = last.accountId;
                balance = last.balanceAfter;
            } else {
                accountId = -1;
                balance = 0;
            }
            return lost;
        }

        /**
         * Forgets the acknowledgement of the last first run, as a client that timed out before the
         * response arrived would: its retry must replay it. False when the last first run was not
         * acknowledged.
         */
        boolean dropLastResponse() {
            if (acked == 0 || acked != attempted.size()) {
                return false;
            }
            Request r = attempted.get(acked - 1);
            r.dropped = r.result;
            r.result = null;
            acked--;
            return true;
        }

        /** Sends a request whose first run was lost in a crash again, under the same key: the work runs now. */
        void resendLost(KeelDb db, Request lost) {
            firstRun(db, new Request(attempted.size() + 1, lost.key, lost.request), false);
        }

        private String text(int len) {
            char[] c = new char[len];
            for (int i = 0; i < len; i++) {
                c[i] = (char) ('a' + random.nextInt(26));
            }
            return new String(c);
        }
    }

    static byte[] bytes(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    static Function<Transaction, byte[]> mustNotRun(String key) {
        return tx -> {
            throw new AssertionError("the work of " + key + " ran again although its record is stored");
        };
    }

    private static byte[] sha256(byte[] b) {
        try {
            return MessageDigest.getInstance("SHA-256").digest(b);
        } catch (NoSuchAlgorithmException e) {
            throw new AssertionError(e);
        }
    }

    // ---- verification --------------------------------------------------------------------------

    /** The workload's entities and the records: type -> id -> values, bytes as hex, plus each version. */
    static Map<String, TreeMap<Long, Map<String, Object>>> contents(Snapshot s) {
        Map<String, TreeMap<Long, Map<String, Object>>> all = new HashMap<>();
        for (String type : List.of(ORDER, ACCOUNT, RECORDS)) {
            TreeMap<Long, Map<String, Object>> byId = new TreeMap<>();
            s.scan(type).forEach((Entity e) -> {
                Map<String, Object> v = new LinkedHashMap<>();
                e.values().forEach((k, x) -> v.put(k, x instanceof byte[] b ? HexFormat.of().formatHex(b) : x));
                v.put("@version", e.version());
                byId.put(e.id(), v);
            });
            all.put(type, byId);
        }
        return all;
    }

    /**
     * Checks a recovered snapshot against the writer: the account's {@code seq} says how many first
     * runs survived ({@code m}, at least the acknowledged ones); the records are exactly those of
     * the first {@code m} requests, with the stored request fingerprint and response, and each was
     * written by the commit that wrote its request's orders and account update; the orders are
     * exactly those of the first {@code m} requests. Returns {@code m}.
     */
    static int assertConsistent(Snapshot s, Writer w, String context, long seed) {
        Map<String, TreeMap<Long, Map<String, Object>>> actual = contents(s);
        TreeMap<Long, Map<String, Object>> accounts = actual.get(ACCOUNT);
        assertTrue(accounts.size() <= 1, "more than one account: " + accounts + "; " + context + "; " + replay(seed));
        int m = accounts.isEmpty() ? 0 : Math.toIntExact((Long) accounts.firstEntry().getValue().get("seq"));
        String where = "idempotency writer (acknowledged " + w.acked() + ", attempted " + w.attempted.size()
                + ", found " + m + "); " + context + "; " + replay(seed);
        assertTrue(m >= w.acked(), "an acknowledged idempotent write is missing: " + where);
        assertTrue(m <= w.attempted.size(), "a write that was never attempted is present: " + where);

        Map<String, Map<String, Object>> records = new HashMap<>();
        actual.get(RECORDS).values().forEach(v -> {
            Object prev = records.put((String) v.get("key"), v);
            assertTrue(prev == null, "two records for key " + v.get("key") + ": " + where);
        });
        Map<String, List<Map<String, Object>>> ordersByKey = new HashMap<>();
        actual.get(ORDER).forEach((id, v) -> ordersByKey.computeIfAbsent((String) v.get("key"), k -> new ArrayList<>())
                .add(v));
        for (int i = 0; i < m; i++) {
            Request r = w.attempted.get(i);
            Map<String, Object> rec = records.remove(r.key);
            List<Map<String, Object>> orders = ordersByKey.remove(r.key);
            assertTrue(rec != null, "WRITE WITHOUT ITS KEY: request " + r.seq + " (" + r.key + ") survived (the account"
                    + " says " + m + ") but its idempotency record is missing; orders " + orders + "; " + where);
            assertTrue(orders != null, "KEY WITHOUT ITS WRITE: the record of " + r.key + " is there, its orders are"
                    + " not; " + where);
            assertEquals(HexFormat.of().formatHex(sha256(r.request)), rec.get("request"), r.key + ": " + where);
            assertEquals(HexFormat.of().formatHex(r.response), rec.get("response"), r.key + ": " + where);
            long version = (Long) rec.get("@version");
            if (r.result != null) {
                assertEquals(r.result.commitLsn(), version, r.key + ": the record's version is the acknowledged"
                        + " commit LSN; " + where);
                assertEquals(r.result.createdAt(), rec.get("createdAt"), r.key + ": " + where);
            }
            Map<Long, Map<String, Object>> got = new TreeMap<>();
            for (Map<String, Object> o : orders) {
                assertEquals(version, o.get("@version"), r.key + ": an order written by another commit than its"
                        + " record; " + where);
            }
            actual.get(ORDER).forEach((id, v) -> {
                if (r.key.equals(v.get("key"))) {
                    Map<String, Object> copy = new LinkedHashMap<>(v);
                    copy.remove("@version");
                    got.put(id, copy);
                }
            });
            assertEquals(r.orders, got, r.key + ": orders differ from what its work inserted; " + where);
            if (i == m - 1) {
                Map<String, Object> account = accounts.firstEntry().getValue();
                assertEquals(r.balanceAfter, account.get("balance"), where);
                assertEquals(r.key, account.get("lastKey"), where);
                assertEquals(version, account.get("@version"), "the account update of " + r.key + " and its record"
                        + " are one commit; " + where);
            }
        }
        assertTrue(records.isEmpty(), "KEY WITHOUT ITS WRITE: records of requests that did not survive (or never"
                + " ran): " + records.keySet() + "; " + where);
        assertTrue(ordersByKey.isEmpty(), "WRITE WITHOUT ITS KEY: orders of requests whose records are missing: "
                + ordersByKey.keySet() + "; " + where);
        return m;
    }

    /**
     * Retries every request that survived (the first {@code m}): each must replay its stored
     * response and commit LSN without running its work, and all of them together write nothing.
     * A surviving request that was in flight at the crash counts as acknowledged from then on.
     */
    static void assertReplays(KeelDb db, Writer w, int m, String context, long seed) {
        long lsn = db.snapshot().lsn();
        Map<String, TreeMap<Long, Map<String, Object>>> before = contents(db.snapshot());
        for (int i = 0; i < m; i++) {
            Request r = w.attempted.get(i);
            IdempotentResult again = db.writeIdempotent(r.key, r.request, mustNotRun(r.key));
            String where = "retry of " + r.key + " (request " + r.seq + " of " + m + ", acknowledged " + w.acked()
                    + "); " + context + "; " + replay(seed);
            assertTrue(again.replayed(), where);
            assertArrayEquals(r.response, again.response(), where);
            if (r.result != null) {
                assertEquals(r.result.commitLsn(), again.commitLsn(), where);
                assertEquals(r.result.createdAt(), again.createdAt(), where);
            } else {
                if (r.dropped != null) {
                    assertEquals(r.dropped.commitLsn(), again.commitLsn(), "the replay answers what the dropped"
                            + " response said; " + where);
                    assertEquals(r.dropped.createdAt(), again.createdAt(), where);
                }
                r.result = again; // in flight at the crash (or its response dropped): acknowledged now, by the replay
            }
            w.replaysChecked++;
        }
        assertEquals(lsn, db.snapshot().lsn(), "retries of surviving keys wrote something; " + context + "; "
                + replay(seed));
        assertEquals(before, contents(db.snapshot()), "retries of surviving keys changed the data; " + context + "; "
                + replay(seed));
        w.acked = Math.max(w.acked, m);
    }
}

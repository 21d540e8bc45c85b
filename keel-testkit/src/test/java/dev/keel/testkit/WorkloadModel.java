package dev.keel.testkit;

import static dev.keel.testkit.FaultTestSupport.replay;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.keel.Entity;
import dev.keel.KeelDb;
import dev.keel.Snapshot;
import dev.keel.Transaction;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * The seeded workload of the {@code *FaultTest} classes and its model: writer threads that commit
 * multi-entity transactions and remember every transaction they attempted and which were
 * acknowledged, and the check that a database holds exactly a prefix of each writer's
 * transactions, which proves both "every acknowledged commit is present" and "no transaction is
 * partially visible".
 *
 * <p>Model: every writer owns one {@code Head} entity and the {@code Item} entities it inserted;
 * only it writes them, so its transactions never conflict and apply in its own order. Each
 * transaction sets the head's {@code seq} to the transaction's number and inserts, updates or
 * deletes a few items. After a crash the head's {@code seq} says how many of the writer's
 * transactions survived ({@code m}); the writer's entities must then equal the model after exactly
 * its first {@code m} transactions. A partially applied transaction cannot pass that comparison.
 */
final class WorkloadModel {
    private WorkloadModel() {
    }

    /** One change of a transaction: {@code values == null} deletes. */
    record Op(String type, long id, Map<String, Object> values) {
    }

    /** Shape of the generated transactions. */
    record Shape(int maxItemOpsPerTx, int maxPayloadChars, int maxThinkMillis) {
    }

    /** One writer thread: the transactions it attempted (in order) and how many were acknowledged. */
    static final class Writer {
        final long owner;
        final SplittableRandom random;
        Shape shape;
        final List<List<Op>> attempted = new ArrayList<>();
        final List<Long> ackNanos = new ArrayList<>();
        private final List<Long> live = new ArrayList<>();
        private long headId = -1;
        private volatile int acked;
        volatile Throwable failure;

        Writer(long owner, long seed, Shape shape) {
            this.owner = owner;
            this.random = new SplittableRandom(seed);
            this.shape = shape;
        }

        int acked() {
            return acked;
        }

        /** Runs and commits the next transaction; returns normally only when it is acknowledged. */
        void commitNext(KeelDb db) {
            int seq = attempted.size() + 1;
            List<Op> ops = new ArrayList<>();
            List<Long> liveAfter = new ArrayList<>(live);
            long head = headId;
            try (Transaction tx = db.begin()) {
                Map<String, Object> headValues = new LinkedHashMap<>();
                headValues.put("owner", owner);
                headValues.put("seq", (long) seq);
                if (head < 0) {
                    head = tx.insert("Head", headValues);
                } else {
                    tx.update("Head", head, Map.of("seq", (long) seq));
                }
                ops.add(new Op("Head", head, headValues));
                int n = 1 + random.nextInt(shape.maxItemOpsPerTx());
                for (int slot = 0; slot < n; slot++) {
                    int dice = random.nextInt(100);
                    if (liveAfter.isEmpty() || dice < 50) {
                        Map<String, Object> v = itemValues(seq, slot);
                        long id = tx.insert("Item", v);
                        liveAfter.add(id);
                        ops.add(new Op("Item", id, v));
                    } else if (dice < 85) {
                        long id = liveAfter.get(random.nextInt(liveAfter.size()));
                        Map<String, Object> v = itemValues(seq, slot);
                        tx.update("Item", id, Map.of("tx", v.get("tx"), "slot", v.get("slot"),
                                "payload", v.get("payload")));
                        ops.add(new Op("Item", id, v));
                    } else {
                        long id = liveAfter.remove(random.nextInt(liveAfter.size()));
                        assertTrue(tx.delete("Item", id), "delete of a live item");
                        ops.add(new Op("Item", id, null));
                    }
                }
                attempted.add(ops);
                tx.commit();
            }
            ackNanos.add(System.nanoTime());
            acked = seq;
            live.clear();
            live.addAll(liveAfter);
            headId = head;
        }

        private Map<String, Object> itemValues(int seq, int slot) {
            Map<String, Object> v = new LinkedHashMap<>();
            v.put("owner", owner);
            v.put("tx", (long) seq);
            v.put("slot", (long) slot);
            int len = 1 + random.nextInt(shape.maxPayloadChars());
            char[] c = new char[len];
            for (int i = 0; i < len; i++) {
                c[i] = (char) ('a' + random.nextInt(26));
            }
            v.put("payload", new String(c));
            return v;
        }

        /** Acknowledged transactions whose acknowledgement came at or before {@code nanos}. */
        int ackedAtOrBefore(long nanos) {
            int n = 0;
            int limit = Math.min(acked, ackNanos.size());
            for (int i = 0; i < limit && ackNanos.get(i) <= nanos; i++) {
                n = i + 1;
            }
            return n;
        }

        /** Entities of this writer after its first {@code m} transactions: type -> id -> values. */
        Map<String, Map<Long, Map<String, Object>>> modelAfter(int m) {
            Map<String, Map<Long, Map<String, Object>>> state = new HashMap<>();
            state.put("Head", new TreeMap<>());
            state.put("Item", new TreeMap<>());
            for (int i = 0; i < m; i++) {
                for (Op op : attempted.get(i)) {
                    if (op.values() == null) {
                        state.get(op.type()).remove(op.id());
                    } else {
                        state.get(op.type()).put(op.id(), op.values());
                    }
                }
            }
            return state;
        }
    }

    /** Writer threads committing until stopped or until their first failure. */
    static final class Workload {
        final List<Writer> writers = new ArrayList<>();
        private final List<Thread> threads = new ArrayList<>();
        private final AtomicBoolean stop = new AtomicBoolean();

        Workload(KeelDb db, int threadCount, long seed, Shape shape, long ownerBase) {
            SplittableRandom seeds = new SplittableRandom(seed);
            for (int i = 0; i < threadCount; i++) {
                Writer w = new Writer(ownerBase + i, seeds.nextLong(), shape);
                writers.add(w);
                Thread t = new Thread(() -> {
                    try {
                        while (!stop.get()) {
                            w.commitNext(db);
                            int think = shape.maxThinkMillis() == 0 ? 0 : w.random.nextInt(shape.maxThinkMillis() + 1);
                            if (think > 0) {
                                Thread.sleep(think);
                            }
                        }
                    } catch (Throwable e) {
                        w.failure = e;
                    }
                }, "fault-writer-" + i);
                t.setDaemon(true);
                threads.add(t);
            }
        }

        Workload start() {
            threads.forEach(Thread::start);
            return this;
        }

        long totalAcked() {
            long n = 0;
            for (Writer w : writers) {
                n += w.acked();
            }
            return n;
        }

        int[] ackedCounts() {
            int[] a = new int[writers.size()];
            for (int i = 0; i < a.length; i++) {
                a[i] = writers.get(i).acked();
            }
            return a;
        }

        /** Waits until at least {@code n} commits are acknowledged or a writer failed or time ran out. */
        void awaitAcked(long n, long timeoutMillis) throws InterruptedException {
            long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(timeoutMillis);
            while (totalAcked() < n && System.nanoTime() < deadline && writers.stream().allMatch(w -> w.failure == null)) {
                Thread.sleep(1);
            }
        }

        /** Stops the writers and waits for them; a writer that hangs is a bug. */
        void stopAndJoin(long seed) throws InterruptedException {
            stop.set(true);
            for (Thread t : threads) {
                t.join(TimeUnit.SECONDS.toMillis(60));
                assertTrue(!t.isAlive(), "writer " + t.getName() + " hangs after stop; " + replay(seed));
            }
        }
    }

    // ---- verification --------------------------------------------------------------------------

    /** Reads the database's entities: owner -> type -> id -> values. */
    static Map<Long, Map<String, Map<Long, Map<String, Object>>>> contents(Snapshot s) {
        Map<Long, Map<String, Map<Long, Map<String, Object>>>> byOwner = new HashMap<>();
        for (String type : List.of("Head", "Item")) {
            s.scan(type).forEach((Entity e) -> {
                long owner = e.getLong("owner");
                byOwner.computeIfAbsent(owner, o -> {
                    Map<String, Map<Long, Map<String, Object>>> m = new HashMap<>();
                    m.put("Head", new TreeMap<>());
                    m.put("Item", new TreeMap<>());
                    return m;
                }).get(type).put(e.id(), new LinkedHashMap<>(e.values()));
            });
        }
        return byOwner;
    }

    /**
     * Checks that, for every writer, the snapshot holds exactly its first {@code m} transactions for
     * some {@code m} in [{@code required[i]}, attempted], and nothing of owners not listed. Returns
     * the {@code m} found for each writer.
     */
    static int[] assertPrefixes(Snapshot s, List<Writer> writers, int[] required, Set<Long> otherOwners, String context,
            long seed) {
        Map<Long, Map<String, Map<Long, Map<String, Object>>>> actual = contents(s);
        int[] found = new int[writers.size()];
        for (int i = 0; i < writers.size(); i++) {
            Writer w = writers.get(i);
            Map<String, Map<Long, Map<String, Object>>> mine = actual.remove(w.owner);
            int m = 0;
            if (mine != null) {
                assertEquals(1, mine.get("Head").size(), "writer " + w.owner + " must have one head entity; "
                        + context + "; " + replay(seed));
                m = Math.toIntExact((Long) mine.get("Head").values().iterator().next().get("seq"));
            }
            String where = "writer " + w.owner + " (acknowledged " + w.acked() + ", attempted " + w.attempted.size()
                    + ", required " + required[i] + ", found " + m + "); " + context + "; " + replay(seed);
            assertTrue(m >= required[i], "an acknowledged transaction is missing: " + where);
            assertTrue(m <= w.attempted.size(), "a transaction that was never attempted is present: " + where);
            Map<String, Map<Long, Map<String, Object>>> expected = w.modelAfter(m);
            Map<String, Map<Long, Map<String, Object>>> got = mine != null ? mine : w.modelAfter(0);
            assertEquals(expected, got, "entities differ from the model after exactly " + m + " transactions"
                    + " (a partially visible transaction or a lost/changed entity): " + where);
            found[i] = m;
        }
        actual.keySet().removeAll(otherOwners);
        assertTrue(actual.isEmpty(), "entities of unknown owners " + actual.keySet() + "; " + context + "; "
                + replay(seed));
        return found;
    }
}

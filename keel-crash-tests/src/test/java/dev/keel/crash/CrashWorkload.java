package dev.keel.crash;

import dev.keel.Durability;
import dev.keel.Entity;
import dev.keel.EntityType;
import dev.keel.Field;
import dev.keel.FieldType;
import dev.keel.KeelDb;
import dev.keel.KeelOptions;
import dev.keel.RecoveryMode;
import dev.keel.RecoveryReport;
import dev.keel.Transaction;
import java.io.FileDescriptor;
import java.io.FileOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.StringJoiner;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The child JVM of {@link KillCrashIT}: opens a database in SYNC mode with 64 KiB segments and a
 * 64 KiB checkpoint trigger, then runs a seeded, durable, multi-threaded write load until the parent
 * kills it with SIGKILL. It never exits by itself (except on a failure, or when the parent goes away).
 *
 * <p>Protocol, one line per event on stdout, each written with a single {@code write(2)} of less than
 * {@code PIPE_BUF} bytes so the parent reads whole lines even when the kill lands mid-print:
 * <pre>
 * OPENING                                   about to call KeelDb.open (recovery runs now)
 * RECOVERED &lt;lastLsn&gt; &lt;checkpointLsn&gt; &lt;txReplayed&gt; &lt;txRolledBack&gt; &lt;events&gt;
 * RECOVERY &lt;kind&gt; &lt;file name&gt; &lt;offset&gt; &lt;length&gt; &lt;lsn&gt;     one per report event
 * READY &lt;threads&gt; &lt;items owned in total&gt;
 * TRY &lt;tx&gt; &lt;owner&gt; &lt;ops&gt;                      printed BEFORE commit() is called
 * ACK &lt;tx&gt; &lt;owner&gt; &lt;lsn&gt; &lt;ops&gt;               printed AFTER commit() returned
 * CKPT &lt;owner&gt; &lt;lsn&gt;                         an explicit db.checkpoint() returned
 * FAIL &lt;text&gt;                                an unexpected exception; the child halts
 * </pre>
 * {@code ops} lists the transaction's writes in the order they were made, comma separated:
 * {@code I<id>.<k>} inserted Item {@code id} with the values of {@link #insertValues}(tx, owner, k),
 * {@code U<id>} updated Item {@code id} with {@link #updateChanges}(tx, owner, id), {@code D<id>}
 * deleted Item {@code id}, and last {@code L<id>} inserted the Ledger entity of the transaction
 * ({@link #ledgerValues}). Every entity a transaction writes carries its number in field {@code tx},
 * so the parent can compute the exact expected state and spot a partially visible transaction. The
 * {@code lsn} of an ACK is the commit LSN (the version of the transaction's Ledger entity, read after
 * commit returned); every entity the transaction wrote must carry it as version.
 *
 * <p>Ownership: each worker thread writes only Items it owns (inserted by it, or existing ones with
 * {@code id % threads == owner} at start), so transactions never conflict and each thread's ACK lines
 * are in commit order for the entities they touch.
 *
 * <p>Arguments: {@code <directory> <seed> <threads> <first tx number> <generation>}.
 */
public final class CrashWorkload {
    static final String ITEM = "Item";
    static final String LEDGER = "Ledger";
    /** Items a thread keeps alive before it starts deleting more than it inserts. */
    private static final int LIVE_TARGET_PER_THREAD = 40;
    /** One explicit checkpoint per this many transactions of a thread, on average. */
    private static final int CHECKPOINT_EVERY = 60;
    /** One transaction of 40 to 99 inserts (often more than a segment) per this many, on average. */
    private static final int BIG_TX_EVERY = 150;
    /** Longest a child lives if the parent never kills it. */
    private static final long MAX_LIFETIME_MILLIS = 120_000;

    private static final Object OUT_LOCK = new Object();
    private static final FileOutputStream OUT = new FileOutputStream(FileDescriptor.out);

    private CrashWorkload() {
    }

    static EntityType itemType() {
        return EntityType.builder(ITEM)
                .field(Field.longField("tx").required())
                .field(Field.longField("owner").required())
                .field("val", FieldType.LONG)
                .field("note", FieldType.TEXT)
                .field("blob", FieldType.BYTES)
                .build();
    }

    static EntityType ledgerType() {
        return EntityType.builder(LEDGER)
                .field(Field.longField("tx").required())
                .field(Field.longField("owner").required())
                .field(Field.longField("ops").required())
                .build();
    }

    /** Options of both the child (writing) and the parent (verifying) opens. */
    static KeelOptions options() {
        return KeelOptions.builder()
                .durability(Durability.SYNC)
                .segmentSizeInBytes(KeelOptions.MIN_SEGMENT_SIZE)
                .checkpointLogSizeInBytes(KeelOptions.MIN_SEGMENT_SIZE)
                .checkpointInterval(Duration.ofSeconds(1))
                .recoveryMode(RecoveryMode.NORMAL)
                .entityTypes(itemType(), ledgerType())
                .build();
    }

    // ---- deterministic values: the parent recomputes them from the ACK lines ----

    static long mix(long a, long b) {
        long x = a * 0x9E3779B97F4A7C15L ^ Long.rotateLeft(b, 29) ^ 0x632BE59BD9B4E019L;
        x ^= x >>> 33;
        x *= 0xFF51AFD7ED558CCDL;
        x ^= x >>> 33;
        x *= 0xC4CEB9FE1A85EC53L;
        x ^= x >>> 33;
        return x;
    }

    static byte[] bytes(long seed, int length) {
        byte[] b = new byte[length];
        new SplittableRandom(seed).nextBytes(b);
        return b;
    }

    /** Values of the k-th Item inserted by transaction {@code tx}. */
    static Map<String, Object> insertValues(long tx, int owner, int k) {
        long h = mix(tx, k);
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("tx", tx);
        m.put("owner", (long) owner);
        m.put("val", h);
        m.put("note", "insert tx=" + tx + " k=" + k);
        int length = (int) Long.remainderUnsigned(h >>> 7, 1500);
        if (length % 7 != 0) {
            m.put("blob", bytes(h, length));
        }
        return m;
    }

    /** Changes transaction {@code tx} makes to Item {@code id}; a null value clears the field. */
    static Map<String, Object> updateChanges(long tx, int owner, long id) {
        long h = mix(tx, ~id);
        Map<String, Object> m = new HashMap<>();
        m.put("tx", tx);
        m.put("owner", (long) owner);
        m.put("val", h);
        switch ((int) Long.remainderUnsigned(h, 3)) {
            case 0 -> m.put("blob", null);
            case 1 -> m.put("blob", bytes(h, (int) Long.remainderUnsigned(h >>> 11, 1200)));
            default -> {
                // leaves blob as it is
            }
        }
        m.put("note", Long.remainderUnsigned(h >>> 3, 5) == 0 ? null : "update tx=" + tx + " id=" + id);
        return m;
    }

    static Map<String, Object> ledgerValues(long tx, int owner, int ops) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("tx", tx);
        m.put("owner", (long) owner);
        m.put("ops", (long) ops);
        return m;
    }

    // ---- the child ----

    static void emit(String line) {
        byte[] b = (line + "\n").getBytes(StandardCharsets.UTF_8);
        synchronized (OUT_LOCK) {
            try {
                OUT.write(b);
                OUT.flush();
            } catch (IOException e) {
                Runtime.getRuntime().halt(4); // the parent is gone
            }
        }
    }

    private static void failAndHalt(String what, Throwable t) {
        emit("FAIL " + what + ": " + String.valueOf(t).replace('\n', ' '));
        synchronized (OUT_LOCK) {
            System.err.println("FAIL " + what);
            t.printStackTrace();
            System.err.flush();
        }
        Runtime.getRuntime().halt(2);
    }

    public static void main(String[] args) throws Exception {
        Path dir = Path.of(args[0]);
        long seed = Long.parseLong(args[1]);
        int threads = Integer.parseInt(args[2]);
        long firstTx = Long.parseLong(args[3]);
        int generation = Integer.parseInt(args[4]);
        startParentWatch();

        emit("OPENING");
        KeelDb db;
        try {
            db = KeelDb.open(dir, options());
        } catch (Throwable t) {
            failAndHalt("open of the crashed database failed", t);
            return;
        }
        RecoveryReport r = db.recoveryReport();
        emit("RECOVERED " + r.lastLsn() + " " + r.checkpointLsn() + " " + r.transactionsReplayed() + " "
                + r.transactionsRolledBack() + " " + r.events().size());
        for (RecoveryReport.Event e : r.events()) {
            emit("RECOVERY " + e.kind() + " " + e.file().getFileName() + " " + e.offset() + " " + e.length() + " "
                    + e.lsn());
        }

        List<List<Long>> owned = new ArrayList<>();
        for (int t = 0; t < threads; t++) {
            owned.add(new ArrayList<>());
        }
        long[] total = {0};
        db.snapshot().scan(ITEM).forEach(e -> {
            owned.get((int) (e.id() % threads)).add(e.id());
            total[0]++;
        });
        AtomicLong txNumbers = new AtomicLong(firstTx);
        emit("READY " + threads + " " + total[0]);
        for (int t = 0; t < threads; t++) {
            int owner = t;
            Random rnd = new Random(mix(seed, generation * 64L + t));
            Thread worker = new Thread(() -> {
                try {
                    work(db, owner, rnd, owned.get(owner), txNumbers);
                } catch (Throwable e) {
                    failAndHalt("worker " + owner, e);
                }
            }, "crash-worker-" + t);
            worker.start();
        }
    }

    /** Halts when the parent closes our stdin (it died) or after {@link #MAX_LIFETIME_MILLIS}. */
    static void startParentWatch() {
        Thread stdin = new Thread(() -> {
            try {
                InputStream in = System.in;
                while (in.read() >= 0) {
                    // ignore
                }
            } catch (IOException e) {
                // parent gone
            }
            Runtime.getRuntime().halt(3);
        }, "parent-watch");
        stdin.setDaemon(true);
        stdin.start();
        Thread timer = new Thread(() -> {
            try {
                Thread.sleep(MAX_LIFETIME_MILLIS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            Runtime.getRuntime().halt(5);
        }, "lifetime");
        timer.setDaemon(true);
        timer.start();
    }

    private static void work(KeelDb db, int owner, Random rnd, List<Long> mine, AtomicLong txNumbers) {
        while (true) {
            long txNo = txNumbers.getAndIncrement();
            // Now and then a transaction bigger than a whole 64 KiB segment (the log grows that segment).
            int inserts = rnd.nextInt(BIG_TX_EVERY) == 0 ? 40 + rnd.nextInt(60) : 1 + rnd.nextInt(4);
            int updates = mine.isEmpty() ? 0 : rnd.nextInt(3);
            int deletes = mine.size() > LIVE_TARGET_PER_THREAD ? 2 + rnd.nextInt(4)
                    : (!mine.isEmpty() && rnd.nextInt(4) == 0 ? 1 : 0);
            List<Character> plan = new ArrayList<>();
            for (int i = 0; i < inserts; i++) {
                plan.add('I');
            }
            for (int i = 0; i < updates; i++) {
                plan.add('U');
            }
            for (int i = 0; i < deletes; i++) {
                plan.add('D');
            }
            Collections.shuffle(plan, rnd);

            StringJoiner ops = new StringJoiner(",");
            List<Long> insertedNow = new ArrayList<>();
            Set<Long> touched = new HashSet<>();
            Set<Long> deletedNow = new HashSet<>();
            int opCount = 0;
            long ledgerId;
            try (Transaction tx = db.begin()) {
                int k = 0;
                for (char op : plan) {
                    switch (op) {
                        case 'I' -> {
                            long id = tx.insert(ITEM, insertValues(txNo, owner, k));
                            ops.add("I" + id + "." + k);
                            insertedNow.add(id);
                            k++;
                            opCount++;
                        }
                        case 'U' -> {
                            Long id = pick(rnd, mine, insertedNow, touched, deletedNow);
                            if (id != null) {
                                tx.update(ITEM, id, updateChanges(txNo, owner, id));
                                ops.add("U" + id);
                                touched.add(id);
                                opCount++;
                            }
                        }
                        default -> {
                            Long id = pick(rnd, mine, insertedNow, Set.of(), deletedNow);
                            if (id != null) {
                                if (!tx.delete(ITEM, id)) {
                                    throw new IllegalStateException("delete of live Item#" + id + " returned false");
                                }
                                ops.add("D" + id);
                                deletedNow.add(id);
                                opCount++;
                            }
                        }
                    }
                }
                ledgerId = tx.insert(LEDGER, ledgerValues(txNo, owner, opCount));
                ops.add("L" + ledgerId);
                emit("TRY " + txNo + " " + owner + " " + ops);
                tx.commit();
            }
            Entity ledger = db.snapshot().get(LEDGER, ledgerId).orElseThrow(() -> new IllegalStateException(
                    "Ledger#" + ledgerId + " of acknowledged transaction " + txNo + " is not visible after commit"));
            emit("ACK " + txNo + " " + owner + " " + ledger.version() + " " + ops);
            mine.removeAll(deletedNow);
            for (long id : insertedNow) {
                if (!deletedNow.contains(id)) {
                    mine.add(id);
                }
            }
            if (rnd.nextInt(CHECKPOINT_EVERY) == 0) {
                emit("CKPT " + owner + " " + db.checkpoint());
            }
        }
    }

    /** A live Item to change: mostly an owned one from before, sometimes one inserted in this transaction. */
    private static Long pick(Random rnd, List<Long> mine, List<Long> insertedNow, Set<Long> exclude,
            Set<Long> deletedNow) {
        List<Long> from = !insertedNow.isEmpty() && (mine.isEmpty() || rnd.nextInt(6) == 0) ? insertedNow : mine;
        for (int attempt = 0; attempt < 8 && !from.isEmpty(); attempt++) {
            Long id = from.get(rnd.nextInt(from.size()));
            if (!exclude.contains(id) && !deletedNow.contains(id)) {
                return id;
            }
        }
        return null;
    }
}

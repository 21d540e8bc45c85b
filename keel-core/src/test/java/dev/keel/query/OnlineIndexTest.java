package dev.keel.query;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.keel.ConstraintViolationException;
import dev.keel.Durability;
import dev.keel.Entity;
import dev.keel.EntityType;
import dev.keel.Field;
import dev.keel.Index;
import dev.keel.KeelDb;
import dev.keel.KeelOptions;
import dev.keel.Query;
import dev.keel.Snapshot;
import dev.keel.testutil.DbFiles;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@link KeelDb#createIndex}: an index added to a populated type while a writer keeps committing is
 * complete (queries through it equal a scan), durable (a crash image opens with it), and refused
 * without a trace when the data breaks it.
 */
class OnlineIndexTest {
    static final EntityType ITEM = EntityType.builder("Item").field(Field.longField("k").required())
            .field(Field.text("tag")).build();
    static final EntityType ITEM_INDEXED = EntityType.builder("Item").field(Field.longField("k").required())
            .field(Field.text("tag")).index(Index.on("k")).build();

    @TempDir
    Path tmp;

    static KeelOptions options(EntityType type) {
        return KeelOptions.builder().entityType(type).durability(Durability.GROUP).build();
    }

    static List<Long> naive(Snapshot s, long lo, long hi) {
        return s.scan("Item").filter(e -> e.getLong("k") >= lo && e.getLong("k") < hi)
                .sorted(java.util.Comparator.comparingLong((Entity e) -> e.getLong("k")).thenComparingLong(Entity::id))
                .map(Entity::id).toList();
    }

    @Test
    void anIndexBuiltWhileAWriterCommitsIsCompleteAndDurable() throws Exception {
        Path dir = tmp.resolve("db");
        long seed = Long.getLong("keel.test.seed", System.nanoTime());
        System.out.println("OnlineIndexTest: seed=" + seed + " (replay with -Dkeel.test.seed=" + seed + ")");
        try (KeelDb db = KeelDb.open(dir, options(ITEM))) {
            SplittableRandom rnd = new SplittableRandom(seed);
            for (int b = 0; b < 100; b++) {
                db.execute(tx -> {
                    for (int i = 0; i < 1000; i++) {
                        tx.insert("Item", Map.of("k", rnd.split().nextLong(1_000_000), "tag", "t"));
                    }
                });
            }
            AtomicBoolean stop = new AtomicBoolean();
            AtomicLong commits = new AtomicLong();
            AtomicReference<Throwable> failed = new AtomicReference<>();
            Thread writer = new Thread(() -> {
                SplittableRandom w = new SplittableRandom(seed + 1);
                try {
                    while (!stop.get()) {
                        long id = 1 + w.nextLong(100_000);
                        db.execute(tx -> {
                            switch (w.nextInt(3)) {
                                case 0 -> tx.insert("Item", Map.of("k", w.nextLong(1_000_000)));
                                case 1 -> {
                                    if (tx.get("Item", id).isPresent()) {
                                        tx.update("Item", id, Map.of("k", w.nextLong(1_000_000)));
                                    }
                                }
                                default -> tx.delete("Item", id);
                            }
                        });
                        commits.incrementAndGet();
                    }
                } catch (Throwable t) {
                    failed.set(t);
                }
            });
            writer.start();
            while (commits.get() < 20) {
                Thread.sleep(1);
            }
            long before = commits.get();
            db.createIndex("Item", Index.on("k"));
            long during = commits.get() - before;
            Thread.sleep(50);
            stop.set(true);
            writer.join();
            assertEquals(null, failed.get());
            assertTrue(during > 0, "the writer committed while the index was built (" + during + " commits)");
            Snapshot s = db.snapshot();
            assertEquals("by_k", s.explain(Query.on("Item").gte("k", 0L)).index());
            for (long lo = 0; lo < 1_000_000; lo += 97_001) {
                long l = lo;
                assertEquals(naive(s, lo, lo + 20_000), s.query(Query.on("Item").gte("k", l).lt("k", l + 20_000)
                        .orderBy("k")).map(Entity::id).toList(), "range from " + lo);
            }
            assertEquals(s.count("Item"), s.query(Query.on("Item").gte("k", Long.MIN_VALUE)).count());
            db.createIndex("Item", Index.on("k")); // the same again: nothing to do
            Path image = tmp.resolve("image");
            DbFiles.copy(dir, image); // what a kill now would leave
            try (KeelDb reopened = KeelDb.open(image, options(ITEM_INDEXED))) {
                Snapshot r = reopened.snapshot();
                assertEquals("by_k", r.explain(Query.on("Item").eq("k", 5L)).index());
                assertEquals(naive(r, 0, 50_000), r.query(Query.on("Item").gte("k", 0L).lt("k", 50_000L).orderBy("k"))
                        .map(Entity::id).toList());
            }
        }
        try (KeelDb undeclared = KeelDb.open(dir, options(ITEM))) {
            assertFalse(undeclared.snapshot().explain(Query.on("Item").eq("k", 5L)).usesIndex(),
                    "an open whose declaration lacks the index drops it");
        }
    }

    @Test
    void aUniqueIndexTheDataBreaksIsRefusedNamingTheEntitiesAndNothingIsWritten() {
        Path dir = tmp.resolve("dup");
        try (KeelDb db = KeelDb.open(dir, options(ITEM))) {
            db.execute(tx -> {
                tx.insert("Item", Map.of("k", 1L));
                tx.insert("Item", Map.of("k", 2L));
                tx.insert("Item", Map.of("k", 1L));
            });
            long lsn = db.snapshot().lsn();
            ConstraintViolationException e = assertThrows(ConstraintViolationException.class,
                    () -> db.createIndex("Item", Index.unique("k")));
            assertEquals("unique", e.rule());
            assertEquals(List.of(1L, 3L), e.conflictingIds());
            assertTrue(e.getMessage().contains("nothing was written"), e.getMessage());
            assertEquals(lsn, db.snapshot().lsn());
            assertFalse(db.snapshot().explain(Query.on("Item").eq("k", 1L)).usesIndex());
            IllegalArgumentException bad = assertThrows(IllegalArgumentException.class,
                    () -> db.createIndex("Item", Index.on("nope")));
            assertTrue(bad.getMessage().contains("names field nope"), bad.getMessage());
            db.execute(tx -> tx.update("Item", 3, Map.of("k", 3L)));
            db.createIndex("Item", Index.unique("k"));
            assertThrows(ConstraintViolationException.class, () -> db.execute(tx -> tx.insert("Item", Map.of("k", 2L))));
        }
    }

    @Test
    void aTransactionThatBeganBeforeAUniqueIndexWasCreatedIsCheckedAgainstIt() {
        // Found in review: the commit check took the unique indexes from the transaction's own
        // (older) schema and let a duplicate through.
        try (KeelDb db = KeelDb.open(tmp.resolve("stale"), options(ITEM))) {
            db.execute(tx -> tx.insert("Item", Map.of("k", 1L)));
            try (dev.keel.Transaction stale = db.begin()) {
                db.createIndex("Item", Index.unique("k"));
                stale.insert("Item", Map.of("k", 1L));
                ConstraintViolationException e = assertThrows(ConstraintViolationException.class, stale::commit);
                assertEquals("unique", e.rule());
                assertEquals(List.of(1L), e.conflictingIds());
            }
            assertEquals(1, db.snapshot().query(Query.on("Item").eq("k", 1L)).count());
        }
    }
}

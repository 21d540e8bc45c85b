package dev.keel.internal.engine;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.keel.EntityType;
import dev.keel.Field;
import dev.keel.KeelDb;
import dev.keel.KeelOptions;
import dev.keel.internal.checkpoint.CheckpointFormat;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Checkpoints run while commits go on, and are triggered by time as well as by log size. */
class CheckpointerTest {
    private static final EntityType ITEM = EntityType.builder("Item").field(Field.longField("n").required()).build();

    @TempDir
    Path dir;

    private long newestCheckpointLsn() throws IOException {
        try (Stream<Path> files = Files.list(dir)) {
            return files.mapToLong(f -> CheckpointFormat.parseLsn(f.getFileName().toString())).max().orElse(-1);
        }
    }

    @Test
    void checkpointsRunWhileCommitsGoOnAndLoseNothing() throws Exception {
        KeelOptions options = KeelOptions.builder().entityType(ITEM).segmentSizeInBytes(KeelOptions.MIN_SEGMENT_SIZE)
                .build();
        AtomicBoolean stop = new AtomicBoolean();
        AtomicLong committed = new AtomicLong();
        AtomicReference<Throwable> writerError = new AtomicReference<>();
        List<Long> checkpointLsns = new ArrayList<>();
        try (KeelDb db = KeelDb.open(dir, options)) {
            Thread writer = new Thread(() -> {
                try {
                    while (!stop.get()) {
                        long n = committed.get() + 1;
                        db.execute(tx -> tx.insert("Item", Map.of("n", n)));
                        committed.set(n);
                    }
                } catch (Throwable t) {
                    writerError.set(t);
                }
            });
            writer.start();
            for (int i = 0; i < 20; i++) {
                checkpointLsns.add(db.checkpoint());
                Thread.sleep(5);
            }
            stop.set(true);
            writer.join();
            assertEquals(null, writerError.get());
            for (int i = 1; i < checkpointLsns.size(); i++) {
                assertTrue(checkpointLsns.get(i) >= checkpointLsns.get(i - 1), "checkpoint LSNs never go back");
            }
            assertTrue(checkpointLsns.get(checkpointLsns.size() - 1) > checkpointLsns.get(0),
                    "later checkpoints cover later commits: " + checkpointLsns);
        }
        try (KeelDb db = KeelDb.open(dir, options)) {
            assertEquals(committed.get(), db.snapshot().count("Item"));
            assertEquals(committed.get(), db.snapshot().scan("Item").mapToLong(e -> e.getLong("n")).max().orElse(0));
        }
    }

    @Test
    void checkpointIsTakenWhenTheIntervalPassesWithNewCommits() throws Exception {
        KeelOptions options = KeelOptions.builder().entityType(ITEM).checkpointInterval(Duration.ofSeconds(1)).build();
        try (KeelDb db = KeelDb.open(dir, options)) {
            db.execute(tx -> tx.insert("Item", Map.of("n", 1L)));
            long lsn = db.snapshot().lsn();
            long deadline = System.nanoTime() + Duration.ofSeconds(20).toNanos();
            while (newestCheckpointLsn() < lsn && System.nanoTime() < deadline) {
                Thread.sleep(50);
            }
            assertTrue(newestCheckpointLsn() >= lsn, "a checkpoint covering LSN " + lsn + " within the interval");
        }
    }
}

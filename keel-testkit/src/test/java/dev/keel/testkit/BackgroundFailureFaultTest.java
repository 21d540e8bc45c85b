package dev.keel.testkit;

import static dev.keel.testkit.FaultTestSupport.closeDead;
import static dev.keel.testkit.FaultTestSupport.options;
import static dev.keel.testkit.FaultTestSupport.reopenAndVerify;
import static dev.keel.testkit.FaultTestSupport.replay;
import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.keel.Durability;
import dev.keel.KeelDb;
import dev.keel.KeelException;
import dev.keel.internal.io.NioFileIO;
import dev.keel.testkit.WorkloadModel.Shape;
import dev.keel.testkit.WorkloadModel.Writer;
import java.nio.file.Path;
import java.time.Duration;
import java.util.EnumSet;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.ThreadLocalRandom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Failures that happen on background threads (segment preparation) and interrupts of the closing
 * thread: what the review of the failure-delivery change found.
 */
class BackgroundFailureFaultTest {
    @TempDir
    Path tmp;

    /**
     * Found in review: when preparing the next segment failed, the engine went to FAILED and the
     * GROUP-mode syncer, which stopped on any engine failure, never synced again, so commits
     * acknowledged after their write stayed unsynced until close, beyond the window a power loss
     * may cost. The log itself was healthy and must keep its promise.
     */
    @Test
    void groupModeStillSyncsAcknowledgedCommitsAfterASegmentPreparationFailed() throws Exception {
        long seed = Long.getLong("keel.test.seed", ThreadLocalRandom.current().nextLong());
        Path dir = tmp.resolve("group");
        FaultyFileIO io = new FaultyFileIO();
        KeelDb db = KeelDb.open(dir, options(io).durability(Durability.GROUP).groupCommitWindow(Duration.ofMillis(300))
                .build());
        // Every later operation on a segment's temporary file fails: the next preparation fails.
        io.arm(FaultPlan.failNthOf(EnumSet.allOf(IoOp.class), 1).forever()
                .onlyPaths(p -> p.getFileName().toString().endsWith(".log.tmp")));
        Writer writer = new Writer(1, new SplittableRandom(seed).nextLong(), new Shape(4, 600, 0));
        try {
            for (int i = 0; i < 2_000; i++) {
                writer.commitNext(db);
            }
        } catch (KeelException expected) {
            // The failed preparation reached the writer.
        }
        assertTrue(db.failure().isPresent(), "the failed preparation must fail the database; " + replay(seed));
        // The commits run far faster than the 300 ms window, so the last ones acknowledged are not
        // synced yet when the preparation fails; three windows later they must be.
        Thread.sleep(1_000);
        io.powerLoss();
        closeDead(db);
        reopenAndVerify(dir, List.of(writer), new int[] {writer.acked()}, null,
                "GROUP commits acknowledged before a failed segment preparation, then a power loss three windows later",
                seed);
    }

    /**
     * Found in review: close() waited for a segment preparation interruptibly, so an interrupted
     * caller closing a healthy database got an exception (and the interrupt counted as a failed
     * preparation).
     */
    @Test
    void closingAHealthyDatabaseFromAnInterruptedThreadDoesNotThrow() {
        Path dir = tmp.resolve("interrupt");
        Writer writer = new Writer(1, 42, new Shape(4, 600, 0));
        KeelDb db = KeelDb.open(dir, options(NioFileIO.INSTANCE).build());
        for (int i = 0; i < 40; i++) {
            writer.commitNext(db); // past half a segment: the next one is being prepared
        }
        Thread.currentThread().interrupt();
        try {
            assertDoesNotThrow(db::close);
            assertTrue(Thread.currentThread().isInterrupted(), "close keeps the caller's interrupt");
        } finally {
            Thread.interrupted();
        }
        try (KeelDb again = KeelDb.open(dir, options(NioFileIO.INSTANCE).build())) {
            assertTrue(again.recoveryReport().clean(), again.recoveryReport().events().toString());
        }
    }
}

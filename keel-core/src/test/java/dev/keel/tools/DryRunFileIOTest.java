package dev.keel.tools;

import static dev.keel.tools.ToolsTestSupport.crashImage;
import static dev.keel.tools.ToolsTestSupport.fill;
import static dev.keel.tools.ToolsTestSupport.listing;
import static dev.keel.tools.ToolsTestSupport.options;
import static dev.keel.tools.ToolsTestSupport.segmentsWithFrames;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.keel.KeelDb;
import dev.keel.RecoveryReport.EventKind;
import dev.keel.internal.io.NioFileIO;
import dev.keel.internal.recovery.Recovery;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.SeekableByteChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The simulated NORMAL open: the decisions of a real one, and not a byte or a lock on disk. */
class DryRunFileIOTest {
    @TempDir
    Path tmp;

    @Test
    void aSimulatedRepairDecidesLikeARealOpenAndChangesNothing() throws IOException {
        Path live = tmp.resolve("live");
        Path dir;
        try (KeelDb db = KeelDb.open(live, options())) {
            fill(db, 10);
            dir = crashImage(live, tmp.resolve("torn"), false);
        }
        Path segment = segmentsWithFrames(dir).get(segmentsWithFrames(dir).size() - 1);
        byte[] data = Files.readAllBytes(segment);
        int end = data.length;
        while (end > 0 && data[end - 1] == 0) {
            end--;
        }
        try (SeekableByteChannel ch = Files.newByteChannel(segment, StandardOpenOption.WRITE)) {
            ch.position(end).write(ByteBuffer.wrap(new byte[] {1, 2, 3, 4, 5, 6, 7}));
        }
        Map<String, String> before = listing(dir);
        Recovery.Result simulated = DryRunFileIO.simulateNormalOpen(NioFileIO.INSTANCE, dir);
        assertEquals(1, simulated.report().count(EventKind.TORN_TAIL_CUT), simulated.report().toString());
        assertEquals(before, listing(dir), "the simulation wrote nothing: no cut, no quarantine, no report file");

        IOException refused = assertThrows(IOException.class,
                () -> new DryRunFileIO(NioFileIO.INSTANCE).tryLock(dir.resolve("keel.lock"), true));
        assertTrue(refused.getMessage().contains("takes no lock"), refused.getMessage());

        try (KeelDb db = KeelDb.open(dir, options())) {
            assertEquals(1, db.recoveryReport().count(EventKind.TORN_TAIL_CUT), "the real open decides the same");
            assertEquals(simulated.lastLsn(), db.snapshot().lsn());
        }
    }
}

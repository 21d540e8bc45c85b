package dev.keel.internal.recovery;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.keel.EntityType;
import dev.keel.Field;
import dev.keel.KeelDb;
import dev.keel.KeelOptions;
import dev.keel.RecoveryMode;
import dev.keel.RecoveryReport;
import dev.keel.RecoveryReport.EventKind;
import dev.keel.internal.wal.SegmentScanner.Frame;
import dev.keel.internal.wal.WalRecord;
import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * G4: a torn last record is cut, its bytes quarantined, and the database opens in NORMAL mode with
 * exactly the committed prefix. The crash image is a copy of the directory taken while the database
 * was open (every commit acknowledged, so synced), then the last transaction is damaged at every
 * byte offset: cut there (the file truncated) or with the byte flipped.
 */
class TornTailTest {
    private static final EntityType ITEM = EntityType.builder("Item").field(Field.text("name").required())
            .field(Field.longField("tx").required()).build();
    private static final int COMMITTED = 5;

    @TempDir
    Path tmp;
    private Path image;
    private Path segment;
    private long lastTxStart;
    private long lastTxEnd;

    private static KeelOptions options() {
        return KeelOptions.builder().entityType(ITEM).segmentSizeInBytes(KeelOptions.MIN_SEGMENT_SIZE).build();
    }

    @BeforeEach
    void writeImage() throws IOException {
        Path live = tmp.resolve("live");
        try (KeelDb db = KeelDb.open(live, options())) {
            for (int tx = 1; tx <= COMMITTED + 1; tx++) {
                long n = tx;
                db.execute(t -> {
                    for (int i = 0; i < 3; i++) {
                        t.insert("Item", Map.of("name", "item-" + n + "-" + i, "tx", n));
                    }
                });
            }
            image = DbFiles.copy(live, tmp.resolve("image"));
        }
        segment = DbFiles.segmentsWithFrames(image).get(DbFiles.segmentsWithFrames(image).size() - 1);
        List<Frame> frames = DbFiles.frames(segment);
        Frame lastCommit = frames.get(frames.size() - 1);
        assertTrue(lastCommit.record() instanceof WalRecord.Commit, "last frame is a commit");
        Frame previousCommit = frames.stream().filter(f -> f.record() instanceof WalRecord.Commit)
                .filter(f -> f.offset() < lastCommit.offset()).reduce((a, b) -> b).orElseThrow();
        lastTxStart = previousCommit.offset() + previousCommit.size();
        lastTxEnd = lastCommit.offset() + lastCommit.size();
    }

    @Test
    void cutAtEveryOffsetOfTheLastTransactionOpensWithTheCommittedPrefix() throws IOException {
        for (long cut = lastTxStart; cut < lastTxEnd; cut++) {
            Path dir = DbFiles.copy(image, tmp.resolve("cut-" + cut));
            try (RandomAccessFile f = new RandomAccessFile(dir.resolve(segment.getFileName()).toFile(), "rw")) {
                f.setLength(cut);
            }
            checkOpensWithPrefix(dir, cut, cut > lastTxStart);
        }
    }

    @Test
    void flippedByteInEveryOffsetOfTheLastTransactionOpensWithTheCommittedPrefix() throws IOException {
        for (long at = lastTxStart; at < lastTxEnd; at++) {
            Path dir = DbFiles.copy(image, tmp.resolve("flip-" + at));
            DbFiles.flipByte(dir.resolve(segment.getFileName()), at);
            checkOpensWithPrefix(dir, at, true);
        }
    }

    private void checkOpensWithPrefix(Path dir, long at, boolean expectCut) throws IOException {
        String where = "damage at offset " + at + " of " + segment.getFileName();
        try (KeelDb db = KeelDb.open(dir, options())) {
            assertEquals(COMMITTED * 3L, db.snapshot().count("Item"), where);
            assertTrue(db.snapshot().scan("Item").allMatch(e -> e.getLong("tx") <= COMMITTED), where);
            RecoveryReport report = db.recoveryReport();
            if (expectCut) {
                assertEquals(1, report.events().size(), where + ": " + report.events());
                RecoveryReport.Event event = report.events().get(0);
                assertTrue(event.kind() == EventKind.TORN_TAIL_CUT
                        || event.kind() == EventKind.INCOMPLETE_TRANSACTION_DISCARDED, where + ": " + event);
                assertEquals(lastTxStart, event.offset(), where + ": the cut starts at the unfinished transaction");
                assertTrue(event.quarantineFile() != null && Files.size(event.quarantineFile()) == event.length(),
                        where + ": cut bytes are kept in quarantine");
            } else {
                assertTrue(report.clean(), where + ": " + report.events());
            }
            db.execute(t -> t.insert("Item", Map.of("name", "after", "tx", 99L)));
        }
        try (KeelDb db = KeelDb.open(dir, options())) {
            assertTrue(db.recoveryReport().clean(), where + ": the repair is durable: " + db.recoveryReport().events());
            assertEquals(COMMITTED * 3L + 1, db.snapshot().count("Item"), where);
        }
    }

    /**
     * Found while building the crash matrix: FORCE recovery quarantined a torn tail but left it in
     * the segment, and the log went on in a new segment. After a crash the next NORMAL open saw
     * damage followed by a later segment's records, i.e. corruption, and refused to open.
     */
    @Test
    void forceRecoveryCutsATornTailSoACrashAfterMoreCommitsStillOpensInNormalMode() throws IOException {
        Path dir = DbFiles.copy(image, tmp.resolve("force"));
        DbFiles.flipByte(dir.resolve(segment.getFileName()), lastTxEnd - 1);
        Path crashImage;
        try (KeelDb db = KeelDb.open(dir, options().toBuilder().recoveryMode(RecoveryMode.FORCE).build())) {
            List<EventKind> kinds = db.recoveryReport().events().stream().map(RecoveryReport.Event::kind).toList();
            assertTrue(kinds.contains(EventKind.TORN_TAIL_CUT), "FORCE reports the torn tail: " + kinds);
            assertTrue(kinds.stream().allMatch(k -> k == EventKind.TORN_TAIL_CUT
                    || k == EventKind.INCOMPLETE_TRANSACTION_DISCARDED), "only tail repairs: " + kinds);
            db.execute(t -> t.insert("Item", Map.of("name", "after", "tx", 99L)));
            crashImage = DbFiles.copy(dir, tmp.resolve("force-crash"));
        }
        try (KeelDb db = KeelDb.open(crashImage, options())) {
            assertEquals(COMMITTED * 3L + 1, db.snapshot().count("Item"));
        }
    }
}

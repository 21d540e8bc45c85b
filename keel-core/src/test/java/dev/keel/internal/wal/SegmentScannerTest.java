package dev.keel.internal.wal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.keel.CorruptionException;
import dev.keel.FormatVersionException;
import dev.keel.internal.codec.ByteWriter;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;

class SegmentScannerTest {
    private static final long SALT = 0x1234_5678_9ABCL;
    private static final Path FILE = Path.of(WalFormat.fileName(7));

    /** A segment image of {@code size} bytes holding frames for LSN 1..n, zeros after. */
    private static byte[] segment(int size, int n, long salt) {
        ByteWriter w = new ByteWriter(size);
        w.writeBytes(WalFormat.header(7, salt, 0));
        for (int lsn = 1; lsn <= n; lsn++) {
            byte[] payload = encodeDelete(lsn);
            WalFormat.writeFrame(w, salt, lsn, WalRecord.DELETE, payload, 0, payload.length);
        }
        byte[] out = new byte[size];
        System.arraycopy(w.array(), 0, out, 0, w.position());
        return out;
    }

    private static byte[] encodeDelete(long id) {
        ByteWriter w = new ByteWriter(16);
        new WalRecord.Delete(1, id).writePayload(w);
        return w.toByteArray();
    }

    @Test
    void cleanSegmentYieldsEveryFrameAndNoDamage() {
        SegmentScanner.Result r = SegmentScanner.scan(segment(8192, 20, SALT), 8192, SALT);
        assertEquals(20, r.frames().size());
        assertEquals(List.of(), r.badRegions());
        assertEquals(20, r.frames().get(19).lsn());
    }

    @Test
    void framesUnderAnotherSaltNeverVerify() {
        byte[] data = segment(8192, 5, SALT);
        SegmentScanner.Result r = SegmentScanner.scan(data, data.length, SALT + 1);
        assertEquals(0, r.frames().size());
        assertEquals(1, r.badRegions().size(), "stale frames are damage, not records");
    }

    @Test
    void damageInTheMiddleIsFoundAndScanningResumesAfterIt() {
        byte[] data = segment(8192, 20, SALT);
        SegmentScanner.Result clean = SegmentScanner.scan(data, data.length, SALT);
        SegmentScanner.Frame victim = clean.frames().get(9);
        data[victim.offset() + 18] ^= 1;
        SegmentScanner.Result r = SegmentScanner.scan(data, data.length, SALT);
        assertEquals(19, r.frames().size());
        assertEquals(1, r.badRegions().size());
        assertEquals(victim.offset(), r.badRegions().get(0).offset());
        assertEquals(victim.size(), r.badRegions().get(0).length());
    }

    @Test
    void zeroedBlockInTheMiddleIsDamageFollowedByFrames() {
        byte[] data = segment(8192, 30, SALT);
        SegmentScanner.Result clean = SegmentScanner.scan(data, data.length, SALT);
        int from = clean.frames().get(5).offset();
        int to = clean.frames().get(8).offset();
        java.util.Arrays.fill(data, from, to, (byte) 0);
        SegmentScanner.Result r = SegmentScanner.scan(data, data.length, SALT);
        assertEquals(27, r.frames().size());
        assertEquals(from, r.badRegions().get(0).offset());
    }

    @Test
    void headerChecksMagicChecksumVersionAndId() {
        byte[] data = segment(4096, 1, SALT);
        assertEquals(SALT, WalFormat.readHeader(data, data.length, FILE, 7).salt());
        CorruptionException wrongId = assertThrows(CorruptionException.class,
                () -> WalFormat.readHeader(data, data.length, FILE, 8));
        assertTrue(wrongId.getMessage().contains("names segment 7"), wrongId.getMessage());
        byte[] flipped = data.clone();
        flipped[25] ^= 1;
        assertTrue(assertThrows(CorruptionException.class, () -> WalFormat.readHeader(flipped, flipped.length, FILE, 7))
                .getMessage().contains("checksum mismatch"));
        byte[] newer = WalFormat.header(7, SALT, 0);
        newer[8] = 9;
        int crc = dev.keel.internal.codec.Checksums.crc32c(newer, 0, WalFormat.HEADER_CRC_OFFSET);
        newer[60] = (byte) crc;
        newer[61] = (byte) (crc >>> 8);
        newer[62] = (byte) (crc >>> 16);
        newer[63] = (byte) (crc >>> 24);
        FormatVersionException v = assertThrows(FormatVersionException.class,
                () -> WalFormat.readHeader(newer, newer.length, FILE, 7));
        assertTrue(v.getMessage().contains("newer KeelDB"), v.getMessage());
        assertTrue(assertThrows(CorruptionException.class, () -> WalFormat.readHeader(data, 10, FILE, 7))
                .getMessage().contains("truncated"));
    }
}

package dev.keel.fuzz;

import static org.junit.jupiter.api.Assertions.assertEquals;

import com.code_intelligence.jazzer.api.FuzzedDataProvider;
import com.code_intelligence.jazzer.junit.FuzzTest;
import dev.keel.CorruptionException;
import dev.keel.internal.codec.ByteReader;
import dev.keel.internal.codec.ByteWriter;
import dev.keel.internal.codec.Checksums;
import dev.keel.internal.codec.MalformedDataException;
import dev.keel.internal.entity.EntityCodec;
import dev.keel.internal.entity.Schema;
import dev.keel.internal.entity.SchemaCodec;
import dev.keel.internal.entity.StoredType;
import dev.keel.internal.wal.RangeChecksums;
import dev.keel.internal.wal.SegmentScanner;
import dev.keel.internal.wal.WalFormat;
import dev.keel.internal.wal.WalRecord;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Log segments as recovery reads them: header ({@link WalFormat#readHeader}), frames and damaged
 * regions ({@link SegmentScanner}), record payloads ({@link WalRecord}) and what they carry (schemas,
 * entities). The only allowed failures are {@link CorruptionException} for the header and
 * {@link MalformedDataException} for payloads; the scanner itself never throws, whatever the bytes,
 * and takes time linear in their number (the two plain tests at the end).
 * Saved inputs: {@code src/test/resources/dev/keel/fuzz/SegmentDecodingFuzzTestInputs/<method>/}.
 */
class SegmentDecodingFuzzTest {

    /**
     * A whole segment file, twice: as it is (so header damage is explored) and with every checksum
     * made valid (so mutations reach the frame and payload decoders behind the CRCs).
     */
    @FuzzTest(maxDuration = "2m")
    void segmentFile(byte[] image) {
        decodeSegment(image);
        decodeSegment(FuzzSupport.withValidSegmentChecksums(image));
    }

    /** One record payload: the first byte is the kind, the rest the payload. */
    @FuzzTest(maxDuration = "1m")
    void recordPayload(byte[] data) {
        if (data.length == 0) {
            return;
        }
        int kind = data[0] & 0xFF;
        WalRecord rec;
        try {
            rec = WalRecord.decode(kind, data, 1, data.length - 1);
        } catch (MalformedDataException expected) {
            return;
        }
        if (rec.kind() != kind) {
            throw new AssertionError("decoded kind " + rec.kind() + " from a frame of kind " + kind);
        }
        ByteWriter out = new ByteWriter(data.length);
        rec.writePayload(out);
        byte[] again = out.toByteArray();
        WalRecord back = WalRecord.decode(kind, again, 0, again.length);
        if (!sameRecord(rec, back)) {
            throw new AssertionError(rec + " encodes to a record that decodes as " + back);
        }
    }

    /** {@link RangeChecksums}, the scanner's constant-time checksum, equals the direct checksum. */
    @FuzzTest(maxDuration = "1m")
    void rangeChecksum(FuzzedDataProvider in) {
        long salt = in.consumeLong();
        int from = in.consumeInt(0, 1 << 16);
        int to = in.consumeInt(0, 1 << 16);
        byte[] data = in.consumeRemainingAsBytes();
        from = Math.min(from, data.length);
        to = Math.min(Math.max(from, to), data.length);
        int direct = Checksums.crc32c(salt, data, from, to - from);
        int indexed = new RangeChecksums(data, data.length, salt).crc32c(from, to);
        if (direct != indexed) {
            throw new AssertionError("range " + from + ".." + to + " of " + data.length + ": direct "
                    + Integer.toHexString(direct) + ", indexed " + Integer.toHexString(indexed));
        }
    }

    /**
     * Garbage after a valid header in which every 4th offset looks like the start of a frame of a
     * known kind claiming about 4 MiB, and a segment of random bytes: searching them for frames took
     * minutes (quadratic in the damage: about 8 minutes for a 64 MiB segment of random bytes) before
     * long candidates were checksummed in constant time.
     */
    @Test
    @Timeout(value = 60, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
    void searchingDamageTakesLinearTime() {
        int size = 8 << 20;
        byte[] patterned = new byte[size];
        System.arraycopy(WalFormat.header(FuzzSupport.SEGMENT_ID, 42, 0), 0, patterned, 0, WalFormat.HEADER_SIZE);
        for (int i = WalFormat.HEADER_SIZE; i + 4 <= size; i += 4) {
            patterned[i] = WalRecord.PUT; // a known kind, and (with the next bytes) a length of 0x3FFF01
            patterned[i + 1] = (byte) 0xFF;
            patterned[i + 2] = 0x3F;
        }
        assertEquals(List.of(), SegmentScanner.scan(patterned, size, 42).frames());
        byte[] random = new byte[4 * size];
        new Random(7).nextBytes(random);
        System.arraycopy(WalFormat.header(FuzzSupport.SEGMENT_ID, 42, 0), 0, random, 0, WalFormat.HEADER_SIZE);
        assertEquals(List.of(), SegmentScanner.scan(random, random.length, 42).frames());
    }

    /** Frames of every size after damage are found again (the long ones through the checksum index). */
    @Test
    void framesOfEverySizeAfterDamageAreFound() {
        long salt = 0x5EED;
        ByteWriter w = new ByteWriter(1 << 20);
        w.writeBytes(WalFormat.header(FuzzSupport.SEGMENT_ID, salt, 0));
        int[] sizes = {3, 200, 255, 256, 257, 4_000, 70_000, 10};
        for (int i = 0; i < sizes.length; i++) {
            ByteWriter p = new ByteWriter(sizes[i] + 16);
            new WalRecord.Put(1, i + 1, new byte[sizes[i]]).writePayload(p);
            byte[] payload = p.toByteArray();
            WalFormat.writeFrame(w, salt, i + 1, WalRecord.PUT, payload, 0, payload.length);
        }
        byte[] image = Arrays.copyOf(w.array(), w.position() + 100);
        SegmentScanner.Result clean = SegmentScanner.scan(image, image.length, salt);
        assertEquals(sizes.length, clean.frames().size());
        for (int damaged = 0; damaged < sizes.length - 1; damaged++) {
            byte[] copy = image.clone();
            copy[clean.frames().get(damaged).offset() + 9] ^= 0x40; // the LSN
            SegmentScanner.Result r = SegmentScanner.scan(copy, copy.length, salt);
            assertEquals(sizes.length - 1, r.frames().size(), "damage in frame " + damaged);
            assertEquals(1, r.badRegions().size(), "damage in frame " + damaged);
        }
    }

    private static void decodeSegment(byte[] image) {
        WalFormat.Header header;
        try {
            header = WalFormat.readHeader(image, image.length, FuzzSupport.SEGMENT_FILE, FuzzSupport.SEGMENT_ID);
        } catch (CorruptionException e) {
            FuzzSupport.checkNamesFileAndOffset(e, FuzzSupport.SEGMENT_FILE, image.length);
            return;
        }
        SegmentScanner.Result result = SegmentScanner.scan(image, image.length, header.salt());
        checkLayout(result, image.length);
        Schema schema = Schema.EMPTY;
        for (SegmentScanner.Frame f : result.frames()) {
            try {
                if (f.record() instanceof WalRecord.SchemaChange sc) {
                    schema = SchemaCodec.decode(new ByteReader(sc.schema()));
                } else if (f.record() instanceof WalRecord.Put p) {
                    StoredType t = schema.byId(p.typeId());
                    if (t != null) {
                        EntityCodec.decode(t, p.id(), p.entity());
                    }
                }
            } catch (MalformedDataException expected) {
                // a verified frame whose content does not decode: recovery reports it as corruption
            }
        }
    }

    /**
     * Frames and damaged regions lie inside the data, after the header, in order, without overlap,
     * and LSNs strictly increase.
     */
    private static void checkLayout(SegmentScanner.Result r, int length) {
        int end = Math.max(length, WalFormat.HEADER_SIZE);
        if (r.dataEnd() < WalFormat.HEADER_SIZE || r.dataEnd() > end) {
            throw new AssertionError("dataEnd " + r.dataEnd() + " outside " + WalFormat.HEADER_SIZE + ".." + end);
        }
        int frameEnd = WalFormat.HEADER_SIZE;
        long lastLsn = 0;
        for (SegmentScanner.Frame f : r.frames()) {
            if (f.offset() < frameEnd || f.size() < WalFormat.FRAME_HEADER_SIZE || f.offset() + f.size() > length
                    || f.lsn() <= lastLsn) {
                throw new AssertionError("frame " + f.offset() + "+" + f.size() + " LSN " + f.lsn()
                        + " after a frame ending at " + frameEnd + " with LSN " + lastLsn);
            }
            frameEnd = f.offset() + f.size();
            lastLsn = f.lsn();
        }
        int badEnd = WalFormat.HEADER_SIZE;
        for (SegmentScanner.BadRegion b : r.badRegions()) {
            if (b.offset() < badEnd || b.length() < 0 || b.offset() + b.length() > r.dataEnd()) {
                throw new AssertionError("bad region " + b.offset() + "+" + b.length() + " after " + badEnd
                        + ", data ends at " + r.dataEnd());
            }
            badEnd = b.offset() + b.length();
            for (SegmentScanner.Frame f : r.frames()) {
                if (f.offset() < badEnd && b.offset() < f.offset() + f.size()) {
                    throw new AssertionError("bad region " + b + " overlaps frame at " + f.offset());
                }
            }
        }
    }

    private static boolean sameRecord(WalRecord a, WalRecord b) {
        if (a instanceof WalRecord.Put x && b instanceof WalRecord.Put y) {
            return x.typeId() == y.typeId() && x.id() == y.id() && Arrays.equals(x.entity(), y.entity());
        }
        if (a instanceof WalRecord.SchemaChange x && b instanceof WalRecord.SchemaChange y) {
            return Arrays.equals(x.schema(), y.schema());
        }
        return a.equals(b);
    }
}

package dev.keel.internal.codec;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Random;
import org.junit.jupiter.api.Test;

class ByteCodecTest {

    @Test
    void varintsAndFixedWidthRoundTrip() {
        long[] samples = {0, 1, -1, 127, 128, 300, Integer.MAX_VALUE, Integer.MIN_VALUE, Long.MAX_VALUE, Long.MIN_VALUE};
        ByteWriter w = new ByteWriter(1);
        for (long v : samples) {
            w.writeVarLong(v).writeZigZag(v).writeLong(v).writeInt((int) v);
        }
        w.writeString("héllo").writeBlob(new byte[] {1, 2, 3});
        ByteReader r = new ByteReader(w.toByteArray());
        for (long v : samples) {
            assertEquals(v, r.readVarLong());
            assertEquals(v, r.readZigZag());
            assertEquals(v, r.readLong());
            assertEquals((int) v, r.readInt());
        }
        assertEquals("héllo", r.readString());
        assertArrayEquals(new byte[] {1, 2, 3}, r.readBlob());
        assertEquals(0, r.remaining());
    }

    @Test
    void zigZagKeepsSmallNegativesShort() {
        assertEquals(1, new ByteWriter(4).writeZigZag(-1).position());
        assertEquals(1, new ByteWriter(4).writeZigZag(63).position());
    }

    @Test
    void malformedInputThrowsMalformedDataNeverIndexErrors() {
        Random random = new Random(42);
        for (int i = 0; i < 20_000; i++) {
            byte[] junk = new byte[random.nextInt(12)];
            random.nextBytes(junk);
            ByteReader r = new ByteReader(junk);
            try {
                switch (i % 5) {
                    case 0 -> r.readString();
                    case 1 -> r.readBlob();
                    case 2 -> r.readVarInt();
                    case 3 -> r.readLong();
                    default -> r.readBytes(r.readLength() + 1);
                }
            } catch (MalformedDataException expected) {
                assertTrue(expected.getMessage().length() > 10);
            }
        }
    }

    @Test
    void lengthLargerThanRemainingIsRejectedBeforeAllocating() {
        ByteWriter w = new ByteWriter(8).writeVarInt(Integer.MAX_VALUE);
        MalformedDataException e = assertThrows(MalformedDataException.class, () -> new ByteReader(w.toByteArray()).readBlob());
        assertTrue(e.getMessage().contains("exceeds"), e.getMessage());
    }

    @Test
    void saltedChecksumDependsOnTheSalt() {
        byte[] data = {1, 2, 3, 4};
        assertTrue(Checksums.crc32c(1L, data, 0, 4) != Checksums.crc32c(2L, data, 0, 4));
        assertEquals(Checksums.crc32c(7L, data, 0, 4), Checksums.crc32c(7L, data, 0, 4));
    }
}

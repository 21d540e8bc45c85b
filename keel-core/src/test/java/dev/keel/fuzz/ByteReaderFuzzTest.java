package dev.keel.fuzz;

import com.code_intelligence.jazzer.junit.FuzzTest;
import dev.keel.internal.codec.ByteReader;
import dev.keel.internal.codec.MalformedDataException;

/**
 * {@link ByteReader}, the primitive under every decoder: the input is a program for the reader, read
 * from the reader itself (a byte picks the next operation, whose operands follow), so lengths and
 * counts are as untrusted as in a damaged file. The only allowed failure is
 * {@link MalformedDataException}; the position never moves backwards or past the end, and lengths
 * never exceed what remains.
 * Saved inputs: {@code src/test/resources/dev/keel/fuzz/ByteReaderFuzzTestInputs/readerProgram/}.
 */
class ByteReaderFuzzTest {

    @FuzzTest(maxDuration = "1m")
    void readerProgram(byte[] data) {
        // The first byte (if any) picks a sub-range start, as decoders read ranges of a larger array.
        int offset = data.length == 0 ? 0 : Math.min(data[0] & 0x0F, data.length);
        ByteReader r = new ByteReader(data, offset, data.length - offset);
        int end = data.length;
        try {
            while (r.hasRemaining()) {
                int before = r.position();
                int op = r.readByte() % 12;
                switch (op) {
                    case 0 -> r.readInt();
                    case 1 -> r.readLong();
                    case 2 -> r.readVarLong();
                    case 3 -> r.readVarInt();
                    case 4 -> {
                        int remaining = r.remaining();
                        int n = r.readLength();
                        if (n < 0 || n > r.remaining() || n > remaining) {
                            throw new AssertionError("readLength " + n + " with " + r.remaining() + " remaining");
                        }
                    }
                    case 5 -> r.readZigZag();
                    case 6 -> {
                        byte[] b = r.readBytes(r.readVarInt());
                        check(b.length <= end, "readBytes returned " + b.length + " bytes");
                    }
                    case 7 -> r.skip(r.readVarInt());
                    case 8 -> {
                        byte[] b = r.readBlob();
                        check(b.length <= end, "readBlob returned " + b.length + " bytes");
                    }
                    case 9 -> {
                        String s = r.readString();
                        check(s.length() <= end, "readString returned " + s.length() + " chars");
                    }
                    case 10 -> r.readBytes(r.readByte() - 128);
                    default -> r.skip(r.readByte() - 128);
                }
                check(r.position() > before && r.position() <= end && r.remaining() == end - r.position(),
                        "position " + before + " -> " + r.position() + ", end " + end + ", remaining " + r.remaining());
            }
        } catch (MalformedDataException expected) {
            check(r.position() >= offset && r.position() <= end, "position " + r.position() + " after an error");
        }
    }

    private static void check(boolean ok, String what) {
        if (!ok) {
            throw new AssertionError(what);
        }
    }
}

package dev.keel.internal.codec;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/**
 * Reads what {@link ByteWriter} wrote, from a byte array range. Every read is bounds-checked and a
 * malformed input throws {@link MalformedDataException} (never an index or allocation error), so
 * decoders can turn it into a corruption report naming the file and offset.
 */
public final class ByteReader {
    private final byte[] buf;
    private final int end;
    private int pos;

    public ByteReader(byte[] buf) {
        this(buf, 0, buf.length);
    }

    public ByteReader(byte[] buf, int offset, int length) {
        if (offset < 0 || length < 0 || offset + length > buf.length) {
            throw new IllegalArgumentException("range " + offset + "+" + length + " outside array of " + buf.length);
        }
        this.buf = buf;
        this.pos = offset;
        this.end = offset + length;
    }

    public int position() {
        return pos;
    }

    public int remaining() {
        return end - pos;
    }

    public boolean hasRemaining() {
        return pos < end;
    }

    public byte[] array() {
        return buf;
    }

    private void need(int n) {
        if (n < 0 || n > end - pos) {
            throw new MalformedDataException("needs " + n + " bytes at " + pos + " but only " + (end - pos) + " remain");
        }
    }

    public int readByte() {
        need(1);
        return buf[pos++] & 0xFF;
    }

    public int readInt() {
        need(4);
        int v = getInt(buf, pos);
        pos += 4;
        return v;
    }

    public long readLong() {
        need(8);
        long v = getLong(buf, pos);
        pos += 8;
        return v;
    }

    public long readVarLong() {
        long v = 0;
        for (int shift = 0; shift < 64; shift += 7) {
            int b = readByte();
            v |= (long) (b & 0x7F) << shift;
            if ((b & 0x80) == 0) {
                return v;
            }
        }
        throw new MalformedDataException("varint longer than 10 bytes at " + pos);
    }

    public int readVarInt() {
        long v = readVarLong();
        if ((v >>> 32) != 0) {
            throw new MalformedDataException("varint " + v + " does not fit 32 bits at " + pos);
        }
        return (int) v;
    }

    /** A non-negative varint length no larger than what remains (so no huge allocation). */
    public int readLength() {
        int n = readVarInt();
        if (n < 0 || n > remaining()) {
            throw new MalformedDataException("length " + (n & 0xFFFFFFFFL) + " at " + pos + " exceeds the "
                    + remaining() + " bytes that remain");
        }
        return n;
    }

    public long readZigZag() {
        long v = readVarLong();
        return (v >>> 1) ^ -(v & 1);
    }

    public byte[] readBytes(int n) {
        need(n);
        byte[] out = Arrays.copyOfRange(buf, pos, pos + n);
        pos += n;
        return out;
    }

    public void skip(int n) {
        need(n);
        pos += n;
    }

    public byte[] readBlob() {
        return readBytes(readLength());
    }

    public String readString() {
        int n = readLength();
        String s = new String(buf, pos, n, StandardCharsets.UTF_8);
        pos += n;
        return s;
    }

    public static int getInt(byte[] b, int at) {
        return (b[at] & 0xFF) | (b[at + 1] & 0xFF) << 8 | (b[at + 2] & 0xFF) << 16 | (b[at + 3] & 0xFF) << 24;
    }

    public static long getLong(byte[] b, int at) {
        return (getInt(b, at) & 0xFFFFFFFFL) | ((long) getInt(b, at + 4) << 32);
    }
}

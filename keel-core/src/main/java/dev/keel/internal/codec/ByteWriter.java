package dev.keel.internal.codec;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/**
 * A growable little-endian byte buffer with variable-length integers (LEB128 varints; signed values
 * zig-zag encoded). Not thread-safe; reusable through {@link #reset()}.
 */
public final class ByteWriter {
    private byte[] buf;
    private int pos;

    public ByteWriter(int initialCapacity) {
        buf = new byte[Math.max(16, initialCapacity)];
    }

    public int position() {
        return pos;
    }

    public void reset() {
        pos = 0;
    }

    /** Moves the write position back to {@code position} (at most the current one). */
    public void truncate(int position) {
        if (position < 0 || position > pos) {
            throw new IllegalArgumentException("position " + position + " outside 0.." + pos);
        }
        pos = position;
    }

    public byte[] array() {
        return buf;
    }

    public byte[] toByteArray() {
        return Arrays.copyOf(buf, pos);
    }

    public byte[] copyOfRange(int from, int to) {
        return Arrays.copyOfRange(buf, from, to);
    }

    /** A buffer view of the bytes written so far; valid until the next write. */
    public ByteBuffer asByteBuffer() {
        return ByteBuffer.wrap(buf, 0, pos);
    }

    private void ensure(int more) {
        if (pos + more > buf.length) {
            long wanted = Math.max((long) buf.length * 2, (long) pos + more);
            if (wanted > Integer.MAX_VALUE - 16) {
                throw new IllegalArgumentException("buffer would exceed 2 GiB");
            }
            buf = Arrays.copyOf(buf, (int) wanted);
        }
    }

    public ByteWriter writeByte(int b) {
        ensure(1);
        buf[pos++] = (byte) b;
        return this;
    }

    public ByteWriter writeInt(int v) {
        ensure(4);
        putInt(buf, pos, v);
        pos += 4;
        return this;
    }

    public ByteWriter writeLong(long v) {
        ensure(8);
        putLong(buf, pos, v);
        pos += 8;
        return this;
    }

    public ByteWriter writeVarLong(long v) {
        ensure(10);
        while ((v & ~0x7FL) != 0) {
            buf[pos++] = (byte) ((v & 0x7F) | 0x80);
            v >>>= 7;
        }
        buf[pos++] = (byte) v;
        return this;
    }

    public ByteWriter writeVarInt(int v) {
        return writeVarLong(v & 0xFFFFFFFFL);
    }

    public ByteWriter writeZigZag(long v) {
        return writeVarLong((v << 1) ^ (v >> 63));
    }

    public ByteWriter writeBytes(byte[] b, int off, int len) {
        ensure(len);
        System.arraycopy(b, off, buf, pos, len);
        pos += len;
        return this;
    }

    public ByteWriter writeBytes(byte[] b) {
        return writeBytes(b, 0, b.length);
    }

    /** Length-prefixed (varint) bytes. */
    public ByteWriter writeBlob(byte[] b) {
        writeVarInt(b.length);
        return writeBytes(b);
    }

    /** Length-prefixed (varint) UTF-8. */
    public ByteWriter writeString(String s) {
        return writeBlob(s.getBytes(StandardCharsets.UTF_8));
    }

    /** Overwrites 4 bytes at {@code at} (little-endian). */
    public void putIntAt(int at, int v) {
        putInt(buf, at, v);
    }

    public void putLongAt(int at, long v) {
        putLong(buf, at, v);
    }

    static void putInt(byte[] b, int at, int v) {
        b[at] = (byte) v;
        b[at + 1] = (byte) (v >>> 8);
        b[at + 2] = (byte) (v >>> 16);
        b[at + 3] = (byte) (v >>> 24);
    }

    static void putLong(byte[] b, int at, long v) {
        putInt(b, at, (int) v);
        putInt(b, at + 4, (int) (v >>> 32));
    }
}

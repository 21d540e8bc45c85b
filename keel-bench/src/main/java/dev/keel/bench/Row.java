package dev.keel.bench;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;

/**
 * The logical row every store holds: a small entity of a ~20-character name, a long and a double.
 * Rows are derived from their key, so any benchmark can recreate and check the row of any key
 * without keeping rows in memory.
 *
 * <p>Key-value peers store the key as 8 bytes big-endian (so keys sort numerically) and the value in
 * this encoding (all integers big-endian):
 *
 * <pre>
 * +---------------+-----------------+----------+-------------+
 * | nameLen (u16) | name (UTF-8)    | age (i64) | score (f64) |
 * +---------------+-----------------+----------+-------------+
 *    2 bytes        nameLen bytes     8 bytes    8 bytes
 * </pre>
 *
 * <p>The <em>payload</em> of a row, used to judge heap overhead, is the sum of its field bytes:
 * UTF-8 name bytes + 8 + 8 (36 bytes for the generated rows), without the key or any framing.
 */
public record Row(String name, long age, double score) {
    /** Length of every generated name. */
    public static final int NAME_LENGTH = 20;

    /** The deterministic row for {@code key}: name "person-" + zero-padded key, pseudo-random age/score. */
    public static Row forKey(long key) {
        String digits = Long.toString(Math.abs(key));
        StringBuilder sb = new StringBuilder(NAME_LENGTH).append("person-");
        for (int i = sb.length() + digits.length(); i < NAME_LENGTH; i++) {
            sb.append('0');
        }
        sb.append(digits);
        long h = mix(key);
        return new Row(sb.toString(), ageForKey(key), (h >>> 11) * 0x1.0p-53 * 100.0);
    }

    /** The age of {@code forKey(key)}, without building the row. */
    public static long ageForKey(long key) {
        return (mix(key) >>> 1) % 100;
    }

    /** SplitMix64 finalizer: a cheap, well-spread hash of the key. */
    static long mix(long x) {
        long z = x + 0x9E3779B97F4A7C15L;
        z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
        z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
        return z ^ (z >>> 31);
    }

    /** Bytes of the field values alone: UTF-8 name + 8 (age) + 8 (score). */
    public int payloadBytes() {
        return name.getBytes(StandardCharsets.UTF_8).length + Long.BYTES + Double.BYTES;
    }

    /** The value encoding described on the class. */
    public byte[] encode() {
        byte[] nameBytes = name.getBytes(StandardCharsets.UTF_8);
        ByteBuffer buf = ByteBuffer.allocate(2 + nameBytes.length + Long.BYTES + Double.BYTES);
        buf.putShort((short) nameBytes.length).put(nameBytes).putLong(age).putDouble(score);
        return buf.array();
    }

    /** Writes the encoding into {@code out} at its position; returns the bytes written. */
    public int encodeInto(ByteBuffer out) {
        int start = out.position();
        byte[] nameBytes = name.getBytes(StandardCharsets.UTF_8);
        out.putShort((short) nameBytes.length).put(nameBytes).putLong(age).putDouble(score);
        return out.position() - start;
    }

    public static Row decode(byte[] value) {
        return decode(ByteBuffer.wrap(value));
    }

    /** Decodes from {@code in}'s position, advancing it. */
    public static Row decode(ByteBuffer in) {
        int nameLength = Short.toUnsignedInt(in.getShort());
        byte[] nameBytes = new byte[nameLength];
        in.get(nameBytes);
        return new Row(new String(nameBytes, StandardCharsets.UTF_8), in.getLong(), in.getDouble());
    }

    /** The 8-byte big-endian key. */
    public static byte[] keyBytes(long key) {
        return ByteBuffer.allocate(Long.BYTES).putLong(key).array();
    }
}

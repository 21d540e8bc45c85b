package dev.keel.internal.index;

import dev.keel.FieldType;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.Arrays;
import java.util.Objects;

/**
 * Order-preserving encoding of field values into index keys: comparing two keys with
 * {@link Arrays#compareUnsigned(byte[], byte[])} orders them exactly as their values, field by
 * field, and then by entity id. An index key is the encoded values of the index's fields, in
 * order, followed by the entity id.
 *
 * <pre>
 *   key       := component* id
 *   id        := 8 bytes, big-endian (ids are positive, so no sign flip is needed)
 *   component := 0x00                       null: sorts before every value of the field
 *              | 0x01 value                 present
 *
 *   value by field type (multi-byte numbers big-endian):
 *   INT              [ v ^ 0x8000_0000 : 4 ]                        sign bit flipped
 *   LONG, REFERENCE  [ v ^ 0x8000_0000_0000_0000 : 8 ]           sign bit flipped
 *   DOUBLE           [ b ^ (b &lt; 0 ? 0xFFFF_FFFF_FFFF_FFFF : 0x8000_0000_0000_0000) : 8 ]
 *                    b = doubleToLongBits(v): NaN canonical, so Double.compare's order:
 *                    -Infinity &lt; ... &lt; -0.0 &lt; 0.0 &lt; ... &lt; Infinity &lt; NaN
 *   BOOLEAN          [ 0x00 false | 0x01 true : 1 ]
 *   TIMESTAMP        [ epochSecond ^ 0x8000_0000_0000_0000 : 8 ][ nano : 4 ]
 *   TEXT             [ escaped UTF-8 bytes ][ 0x00 0x01 ]
 *   BYTES            [ escaped bytes       ][ 0x00 0x01 ]
 *                    escaped: every 0x00 written as 0x00 0xFF, other bytes as they are
 *
 *   e.g. (TEXT "a\0", LONG 5), id 7:
 *     01 61 00 FF 00 01 | 01 80 00 00 00 00 00 00 05 | 00 00 00 00 00 00 00 07
 * </pre>
 *
 * <p>Ordering: fixed-width values compare as unsigned big-endian integers, which the sign flips
 * make agree with signed order. A variable-width value ends with {@code 0x00 0x01}, lower than
 * anything an escaped byte can start with ({@code 0x00 0xFF} or {@code 0x01..0xFF}), so a value
 * sorts before its extensions ({@code "a" < "a\0" < "ab"}) and the next component never takes
 * part in comparing two different values. TEXT orders by Unicode code point, which is UTF-8 byte
 * order; this differs from {@link String#compareTo} (UTF-16 units) only between supplementary
 * characters and {@code U+E000..U+FFFF}. An unpaired surrogate is encoded as {@code '?'}, as the
 * entity codec stores it. BYTES order as {@code Arrays.compareUnsigned}. {@code -0.0} and
 * {@code 0.0} are different keys, as in {@link Double#compare}.
 *
 * <p>Prefixes: the encoding of leading values is a prefix of every key that starts with those
 * values, and an escaped TEXT without its terminator is a prefix of the encoding of every string
 * that starts with that text, so the keys matching a prefix {@code p} are exactly those in
 * {@code [p, successor(p))}.
 *
 * <p>Durability: this class writes nothing. Keys live in the in-memory index; should they ever be
 * written to disk, this format becomes a stored format and needs a version like any other.
 *
 * <p>Thread-safety: stateless; every method is safe to call from any thread.
 */
public final class IndexKeys {

    /** Component marker of a null value. */
    static final byte NULL = 0x00;
    /** Component marker of a present value. */
    static final byte PRESENT = 0x01;
    /** Escape byte in TEXT and BYTES: 0x00 0xFF is a data byte 0x00, 0x00 0x01 the end. */
    static final byte ESCAPE = 0x00;
    static final byte ESCAPED_ZERO = (byte) 0xFF;
    static final byte TERMINATOR = 0x01;
    /** Length of the trailing entity id. */
    static final int ID_BYTES = Long.BYTES;

    private IndexKeys() {
    }

    /** Whether values of this type can be indexed (every type except VECTOR). */
    public static boolean indexable(FieldType type) {
        return switch (type) {
            case TEXT, INT, LONG, DOUBLE, BOOLEAN, TIMESTAMP, BYTES, REFERENCE -> true;
            case VECTOR -> false;
        };
    }

    /**
     * The key of an index entry: each value encoded ({@code null} allowed: it sorts before every
     * value), then the id.
     *
     * @throws IllegalArgumentException if the lengths differ, a type is not indexable, a value is
     *     not of its type's Java class, or {@code id} is negative (ids are positive; 0 and
     *     {@code Long.MAX_VALUE} are accepted to make range bounds)
     */
    public static byte[] key(FieldType[] types, Object[] values, long id) {
        if (types.length != values.length) {
            throw new IllegalArgumentException(
                    values.length + " values for an index on " + types.length + " fields");
        }
        if (id < 0) {
            throw new IllegalArgumentException("negative entity id " + id);
        }
        KeyWriter out = encode(types, values, values.length);
        out.writeLong(id);
        return out.toByteArray();
    }

    /**
     * The encoded values only: a prefix of every key with these leading values. Encodes the
     * first {@code values.length} fields; {@code values.length <= types.length}.
     */
    public static byte[] prefix(FieldType[] types, Object[] values) {
        if (values.length > types.length) {
            throw new IllegalArgumentException(
                    values.length + " values for an index on " + types.length + " fields");
        }
        return encode(types, values, values.length).toByteArray();
    }

    /**
     * {@link #prefix} of the leading values followed by the encoding of {@code textPrefix} for
     * the next field, a TEXT field, without its terminator: every key whose next field starts
     * with {@code textPrefix} starts with these bytes, and no other key does.
     *
     * @throws IllegalArgumentException if there is no next field, it is not TEXT, or
     *     {@code textPrefix} ends with an unpaired high surrogate (the strings that start with
     *     it do not share a UTF-8 prefix)
     */
    public static byte[] textPrefix(FieldType[] types, Object[] leading, String textPrefix) {
        Objects.requireNonNull(textPrefix, "textPrefix");
        if (leading.length >= types.length) {
            throw new IllegalArgumentException(
                    "no field after " + leading.length + " values in an index on " + types.length + " fields");
        }
        FieldType next = types[leading.length];
        if (next != FieldType.TEXT) {
            throw new IllegalArgumentException("text prefix for a " + next + " field");
        }
        if (!textPrefix.isEmpty() && Character.isHighSurrogate(textPrefix.charAt(textPrefix.length() - 1))) {
            throw new IllegalArgumentException("text prefix ends with an unpaired high surrogate");
        }
        KeyWriter out = encode(types, leading, leading.length);
        out.write(PRESENT);
        out.writeEscaped(textPrefix.getBytes(StandardCharsets.UTF_8));
        return out.toByteArray();
    }

    /**
     * The smallest byte string greater than every string that starts with {@code prefix}: the
     * exclusive end of a prefix range. {@code null} if none exists ({@code prefix} is empty or
     * all {@code 0xFF}).
     */
    public static byte[] successor(byte[] prefix) {
        int i = prefix.length - 1;
        while (i >= 0 && prefix[i] == (byte) 0xFF) {
            i--;
        }
        if (i < 0) {
            return null;
        }
        byte[] next = Arrays.copyOf(prefix, i + 1);
        next[i]++;
        return next;
    }

    /** The id stored in the last 8 bytes of a key. */
    public static long id(byte[] key) {
        requireKey(key);
        long id = 0;
        for (int i = key.length - ID_BYTES; i < key.length; i++) {
            id = id << 8 | (key[i] & 0xFF);
        }
        return id;
    }

    /** The key without its id: the encoded values. */
    public static byte[] valuesOf(byte[] key) {
        requireKey(key);
        return Arrays.copyOf(key, key.length - ID_BYTES);
    }

    private static void requireKey(byte[] key) {
        if (key.length < ID_BYTES) {
            throw new IllegalArgumentException("index key of " + key.length + " bytes has no id");
        }
    }

    // ---------------------------------------------------------------------------------------

    private static KeyWriter encode(FieldType[] types, Object[] values, int count) {
        KeyWriter out = new KeyWriter(16 * count + ID_BYTES);
        for (int i = 0; i < count; i++) {
            FieldType type = Objects.requireNonNull(types[i], "type");
            Object value = values[i];
            if (!indexable(type)) {
                throw new IllegalArgumentException(type + " values cannot be indexed");
            }
            if (value == null) {
                out.write(NULL);
            } else {
                out.write(PRESENT);
                encodeValue(out, type, value);
            }
        }
        return out;
    }

    /** Writes a present value; an exhaustive switch, so a new field type must be added here. */
    private static KeyWriter encodeValue(KeyWriter out, FieldType type, Object value) {
        return switch (type) {
            case INT -> out.writeInt(as(Integer.class, type, value) ^ Integer.MIN_VALUE);
            case LONG, REFERENCE -> out.writeLong(as(Long.class, type, value) ^ Long.MIN_VALUE);
            case DOUBLE -> {
                long bits = Double.doubleToLongBits(as(Double.class, type, value));
                yield out.writeLong(bits ^ (bits >> 63 | Long.MIN_VALUE));
            }
            case BOOLEAN -> out.write(as(Boolean.class, type, value) ? (byte) 1 : (byte) 0);
            case TIMESTAMP -> {
                Instant t = as(Instant.class, type, value);
                yield out.writeLong(t.getEpochSecond() ^ Long.MIN_VALUE).writeInt(t.getNano());
            }
            case TEXT -> out.writeEscaped(as(String.class, type, value).getBytes(StandardCharsets.UTF_8))
                    .write(ESCAPE).write(TERMINATOR);
            case BYTES -> out.writeEscaped(as(byte[].class, type, value)).write(ESCAPE).write(TERMINATOR);
            case VECTOR -> throw new IllegalArgumentException(type + " values cannot be indexed");
        };
    }

    private static <T> T as(Class<T> javaType, FieldType type, Object value) {
        if (!javaType.isInstance(value)) {
            throw new IllegalArgumentException(type + " value must be a " + javaType.getName()
                    + ", was a " + value.getClass().getName());
        }
        return javaType.cast(value);
    }

    /** A growable big-endian byte buffer for one key. */
    private static final class KeyWriter {
        private byte[] buf;
        private int pos;

        KeyWriter(int capacity) {
            buf = new byte[capacity];
        }

        KeyWriter write(byte b) {
            ensure(1);
            buf[pos++] = b;
            return this;
        }

        KeyWriter writeInt(int v) {
            ensure(Integer.BYTES);
            for (int shift = 24; shift >= 0; shift -= 8) {
                buf[pos++] = (byte) (v >>> shift);
            }
            return this;
        }

        KeyWriter writeLong(long v) {
            ensure(Long.BYTES);
            for (int shift = 56; shift >= 0; shift -= 8) {
                buf[pos++] = (byte) (v >>> shift);
            }
            return this;
        }

        /** Writes {@code bytes} with each 0x00 escaped as 0x00 0xFF; no terminator. */
        KeyWriter writeEscaped(byte[] bytes) {
            int zeros = 0;
            for (byte b : bytes) {
                if (b == ESCAPE) {
                    zeros++;
                }
            }
            ensure(bytes.length + zeros);
            for (byte b : bytes) {
                if (b == ESCAPE) {
                    buf[pos++] = ESCAPE;
                    buf[pos++] = ESCAPED_ZERO;
                } else {
                    buf[pos++] = b;
                }
            }
            return this;
        }

        byte[] toByteArray() {
            return pos == buf.length ? buf : Arrays.copyOf(buf, pos);
        }

        private void ensure(int n) {
            if (pos + n > buf.length) {
                buf = Arrays.copyOf(buf, Math.max(pos + n, buf.length * 2));
            }
        }
    }
}

package dev.keel.internal.entity;

import dev.keel.ConstraintViolationException;
import dev.keel.Entity;
import dev.keel.Field;
import dev.keel.FieldType;
import dev.keel.internal.codec.ByteReader;
import dev.keel.internal.codec.ByteWriter;
import dev.keel.internal.codec.MalformedDataException;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The compact binary form of an entity, as kept in memory and in the log and checkpoints.
 *
 * <pre>
 * entity := varlong version | varint fieldCount | (varint fieldId | value)*   (non-null fields only)
 * value  := TEXT      varint length | UTF-8
 *         | LONG      zig-zag varlong
 *         | INT       zig-zag varlong (within the int range)
 *         | DOUBLE    8 bytes, IEEE-754 bits little-endian
 *         | BOOLEAN   1 byte (0 or 1)
 *         | TIMESTAMP zig-zag varlong epoch seconds | varint nanos (0..999,999,999)
 *         | BYTES     varint length | bytes
 *         | REFERENCE varlong id of the target entity
 *         | VECTOR    varint dimensions | 4 bytes IEEE-754 bits per element
 * </pre>
 * The version is the LSN of the commit that wrote the entity. Field ids come from {@link StoredType}.
 */
public final class EntityCodec {
    private EntityCodec() {
    }

    /**
     * Validates {@code values} (already merged with any previous values) against the type and
     * encodes them. Required fields must be present; unknown fields and wrong types are rejected.
     */
    public static byte[] encode(StoredType type, long version, Map<String, ?> values, ByteWriter scratch) {
        return encode(type, version, values, false, scratch);
    }

    /**
     * Like {@link #encode(StoredType, long, Map, ByteWriter)}; with {@code applyDefaults}, a field
     * without a value takes its declared default (the insert rule).
     */
    public static byte[] encode(StoredType type, long version, Map<String, ?> values, boolean applyDefaults,
            ByteWriter scratch) {
        int fields = type.fields().size();
        Object[] slots = new Object[fields];
        int matched = 0;
        int present = 0;
        for (int i = 0; i < fields; i++) {
            Field f = type.fields().get(i);
            Object v = values.get(f.name());
            if (v != null || values.containsKey(f.name())) {
                matched++;
            }
            if (v == null && applyDefaults) {
                v = f.defaultValue();
            }
            if (v == null) {
                if (f.isRequired()) {
                    throw new ConstraintViolationException(type.name(), f.name(), "required field has no value");
                }
                continue;
            }
            try {
                slots[i] = Values.coerce(f.type(), v, () -> "value");
            } catch (IllegalArgumentException e) {
                throw new ConstraintViolationException(type.name(), f.name(), v, "type", e.getMessage());
            }
            if (type.hasRules()) {
                type.rules(i).check(type.name(), slots[i]);
            }
            present++;
        }
        if (matched != values.size()) {
            for (String name : values.keySet()) {
                if (type.indexOf(name) < 0) {
                    throw new ConstraintViolationException(type.name(), name, "field is not declared in type "
                            + type.name() + " (declared: " + type.fields().stream().map(Field::name).toList() + ")");
                }
            }
        }
        scratch.reset();
        scratch.writeVarLong(version);
        scratch.writeVarInt(present);
        for (int i = 0; i < fields; i++) {
            if (slots[i] != null) {
                scratch.writeVarInt(type.fieldId(i));
                writeValue(type.fields().get(i).type(), slots[i], scratch);
            }
        }
        return scratch.toByteArray();
    }

    /** Encodes slots (values in declaration order, already valid for the type; null = absent). */
    static byte[] encodeSlots(StoredType type, long version, Object[] slots, ByteWriter out) {
        int present = 0;
        for (Object v : slots) {
            if (v != null) {
                present++;
            }
        }
        out.reset();
        out.writeVarLong(version);
        out.writeVarInt(present);
        for (int i = 0; i < slots.length; i++) {
            if (slots[i] != null) {
                out.writeVarInt(type.fieldId(i));
                writeValue(type.fields().get(i).type(), slots[i], out);
            }
        }
        return out.toByteArray();
    }

    /** The version (commit LSN) stored at the start of an encoded entity. */
    public static long version(byte[] encoded) {
        return new ByteReader(encoded).readVarLong();
    }

    /** Decodes an entity; malformed bytes throw {@link MalformedDataException}. */
    public static Entity decode(StoredType type, long id, byte[] encoded) {
        ByteReader in = new ByteReader(encoded);
        long version = in.readVarLong();
        return new Entity(type.name(), id, version, type.names(), decodeSlots(type, in));
    }

    /** Field values in declaration order ({@code null} for none); malformed bytes throw {@link MalformedDataException}. */
    public static Object[] slots(StoredType type, byte[] encoded) {
        ByteReader in = new ByteReader(encoded);
        in.readVarLong();
        return decodeSlots(type, in);
    }

    /**
     * Like {@link #slots(StoredType, byte[])} but decodes only the fields whose position is
     * {@code wanted} (the others are skipped without building their values, and are null): what
     * building indexes needs.
     */
    public static Object[] slots(StoredType type, byte[] encoded, boolean[] wanted) {
        ByteReader in = new ByteReader(encoded);
        in.readVarLong();
        int n = in.readLength();
        Object[] slots = new Object[type.fields().size()];
        for (int k = 0; k < n; k++) {
            int fieldId = in.readVarInt();
            int index = type.indexOfFieldId(fieldId);
            if (index < 0) {
                throw new MalformedDataException("field id " + fieldId + " is not in type " + type.name());
            }
            FieldType ft = type.fields().get(index).type();
            if (wanted[index]) {
                slots[index] = readValue(ft, in);
            } else {
                skipValue(ft, in);
            }
        }
        return slots;
    }

    private static void skipValue(FieldType type, ByteReader in) {
        switch (type) {
            case TEXT, BYTES -> in.skip(in.readLength());
            case LONG, INT, REFERENCE -> in.readVarLong();
            case DOUBLE -> in.skip(8);
            case BOOLEAN -> in.skip(1);
            case TIMESTAMP -> {
                in.readVarLong();
                in.readVarInt();
            }
            case VECTOR -> {
                long bytes = 4L * in.readLength();
                if (bytes > in.remaining()) {
                    throw new MalformedDataException("vector of " + bytes / 4 + " floats exceeds " + in.remaining() + " bytes");
                }
                in.skip((int) bytes);
            }
            default -> throw new AssertionError(type);
        }
    }

    /** Field values by name in declaration order. */
    public static Map<String, Object> decodeValues(StoredType type, byte[] encoded) {
        ByteReader in = new ByteReader(encoded);
        in.readVarLong();
        Object[] slots = decodeSlots(type, in);
        Map<String, Object> values = new LinkedHashMap<>();
        for (int i = 0; i < slots.length; i++) {
            if (slots[i] != null) {
                values.put(type.fields().get(i).name(), slots[i]);
            }
        }
        return values;
    }

    static Object[] decodeSlots(StoredType type, ByteReader in) {
        int n = in.readLength();
        Object[] slots = new Object[type.fields().size()];
        for (int k = 0; k < n; k++) {
            int fieldId = in.readVarInt();
            int index = type.indexOfFieldId(fieldId);
            if (index < 0) {
                throw new MalformedDataException("field id " + fieldId + " is not in type " + type.name());
            }
            slots[index] = readValue(type.fields().get(index).type(), in);
        }
        if (in.hasRemaining()) {
            throw new MalformedDataException(in.remaining() + " trailing bytes after entity of type " + type.name());
        }
        return slots;
    }

    static void writeValue(FieldType type, Object v, ByteWriter out) {
        switch (type) {
            case TEXT -> out.writeString((String) v);
            case LONG -> out.writeZigZag((Long) v);
            case INT -> out.writeZigZag((Integer) v);
            case DOUBLE -> out.writeLong(Double.doubleToRawLongBits((Double) v));
            case BOOLEAN -> out.writeByte((Boolean) v ? 1 : 0);
            case TIMESTAMP -> {
                Instant t = (Instant) v;
                out.writeZigZag(t.getEpochSecond()).writeVarInt(t.getNano());
            }
            case BYTES -> out.writeBlob((byte[]) v);
            case REFERENCE -> out.writeVarLong((Long) v);
            case VECTOR -> {
                float[] f = (float[]) v;
                out.writeVarInt(f.length);
                for (float x : f) {
                    out.writeInt(Float.floatToRawIntBits(x));
                }
            }
            default -> throw new AssertionError(type);
        }
    }

    static Object readValue(FieldType type, ByteReader in) {
        return switch (type) {
            case TEXT -> in.readString();
            case LONG -> in.readZigZag();
            case INT -> {
                long v = in.readZigZag();
                if (v < Integer.MIN_VALUE || v > Integer.MAX_VALUE) {
                    throw new MalformedDataException("INT value " + v + " out of range");
                }
                yield (int) v;
            }
            case DOUBLE -> Double.longBitsToDouble(in.readLong());
            case BOOLEAN -> {
                int b = in.readByte();
                if (b > 1) {
                    throw new MalformedDataException("boolean byte " + b);
                }
                yield b == 1;
            }
            case TIMESTAMP -> {
                long seconds = in.readZigZag();
                int nanos = in.readVarInt();
                if (nanos < 0 || nanos > 999_999_999 || seconds < Instant.MIN.getEpochSecond()
                        || seconds > Instant.MAX.getEpochSecond()) {
                    throw new MalformedDataException("timestamp out of range: " + seconds + "s " + nanos + "ns");
                }
                yield Instant.ofEpochSecond(seconds, nanos);
            }
            case BYTES -> in.readBlob();
            case REFERENCE -> in.readVarLong();
            case VECTOR -> {
                int n = in.readVarInt();
                if (n < 0 || (long) n * 4 > in.remaining()) {
                    throw new MalformedDataException("vector of " + n + " floats exceeds " + in.remaining() + " bytes");
                }
                float[] f = new float[n];
                for (int i = 0; i < n; i++) {
                    f[i] = Float.intBitsToFloat(in.readInt());
                }
                yield f;
            }
        };
    }
}

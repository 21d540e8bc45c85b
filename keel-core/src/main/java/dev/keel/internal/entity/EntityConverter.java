package dev.keel.internal.entity;

import dev.keel.FieldType;
import dev.keel.internal.codec.ByteReader;
import dev.keel.internal.codec.ByteWriter;
import dev.keel.internal.codec.MalformedDataException;

/**
 * Converts encoded entities from the stored type they were written under to a later stored type of
 * the same type id (see {@link SchemaPlanner}). Field ids carry the meaning: a value whose field id
 * the target still has is kept (converted if its type was widened), one whose field id is gone is
 * dropped, and a target field the source type did not have takes its default (or stays absent).
 * The entity's version is kept. Values are not checked against the target's rules here; the
 * migration validates them after replay.
 *
 * <p>A value that cannot be converted exactly (a LONG that no DOUBLE equals) or bytes that do not
 * decode under the source type throw {@link ConversionException} naming the entity. When the two
 * types encode alike ({@link #identity()}), the bytes are returned unchanged. Not thread-safe.
 */
public final class EntityConverter {

    /** An entity that cannot be converted; the message names type, id, field and value. */
    public static final class ConversionException extends RuntimeException {
        private static final long serialVersionUID = 1L;
        private final boolean undecodable;

        public ConversionException(String message, boolean undecodable) {
            super(message);
            this.undecodable = undecodable;
        }

        /**
         * True when the bytes do not decode under their type (damage); false when a valid value
         * does not fit the declared type (the declaration is what must change).
         */
        public boolean undecodable() {
            return undecodable;
        }
    }

    private final StoredType from;
    private final StoredType to;
    /** For each source position, the target position of its field id, or -1 (dropped). */
    private final int[] targetOf;
    /** For each target position: the default to fill in when the source type did not have the field. */
    private final Object[] defaults;
    private final boolean identity;
    private final ByteWriter out = new ByteWriter(256);

    public EntityConverter(StoredType from, StoredType to) {
        if (from.typeId() != to.typeId()) {
            throw new IllegalArgumentException("conversion from type id " + from.typeId() + " to " + to.typeId());
        }
        this.from = from;
        this.to = to;
        this.targetOf = new int[from.fields().size()];
        boolean same = from.fields().size() == to.fields().size();
        for (int p = 0; p < targetOf.length; p++) {
            targetOf[p] = to.indexOfFieldId(from.fieldId(p));
            same &= targetOf[p] >= 0 && from.fields().get(p).type() == to.fields().get(targetOf[p]).type();
        }
        this.defaults = new Object[to.fields().size()];
        for (int t = 0; t < defaults.length; t++) {
            if (from.indexOfFieldId(to.fieldId(t)) < 0) {
                defaults[t] = to.fields().get(t).defaultValue();
            }
        }
        this.identity = same;
    }

    /** Whether entities of the source type are valid entities of the target type as they are. */
    public boolean identity() {
        return identity;
    }

    public StoredType from() {
        return from;
    }

    public StoredType to() {
        return to;
    }

    /** The entity {@code id} re-encoded for the target type. */
    public byte[] convert(long id, byte[] encoded) {
        if (identity) {
            return encoded;
        }
        ByteReader in = new ByteReader(encoded);
        long version;
        Object[] slots;
        try {
            version = in.readVarLong();
            slots = EntityCodec.decodeSlots(from, in);
        } catch (MalformedDataException | IllegalArgumentException e) {
            throw new ConversionException("entity " + from.name() + "#" + id + " does not decode under the type it was"
                    + " written under (" + e.getMessage() + ")", true);
        }
        Object[] target = defaults.clone();
        for (int p = 0; p < slots.length; p++) {
            int t = targetOf[p];
            if (t >= 0 && slots[p] != null) {
                target[t] = widen(id, p, slots[p], to.fields().get(t).type());
            }
        }
        return EntityCodec.encodeSlots(to, version, target, out);
    }

    private Object widen(long id, int p, Object v, FieldType wider) {
        FieldType type = from.fields().get(p).type();
        if (type == wider) {
            return v;
        }
        if (type == FieldType.INT) {
            int i = (Integer) v;
            return wider == FieldType.LONG ? (Object) (long) i : (Object) (double) i;
        }
        if (type == FieldType.LONG && wider == FieldType.DOUBLE) {
            long l = (Long) v;
            double d = l;
            if ((long) d != l || d == 0x1p63) {
                throw new ConversionException("entity " + to.name() + "#" + id + ": field " + to.fields().get(
                        targetOf[p]).name() + " holds " + l + ", which a DOUBLE cannot represent exactly (nearest "
                        + new java.math.BigDecimal(d).toPlainString() + ")", false);
            }
            return d;
        }
        throw new ConversionException("entity " + to.name() + "#" + id + ": field " + from.fields().get(p).name()
                + " cannot be converted from " + type + " to " + wider, false);
    }
}

package dev.keel.internal.entity;

import dev.keel.EntityType;
import dev.keel.Field;
import dev.keel.FieldType;
import dev.keel.internal.codec.ByteReader;
import dev.keel.internal.codec.ByteWriter;
import dev.keel.internal.codec.MalformedDataException;
import java.util.ArrayList;
import java.util.List;

/**
 * Binary form of a {@link Schema}, stored in checkpoints and in SCHEMA log records.
 *
 * <pre>
 * schema  := varint formatVersion (=1) | varint schemaVersion | varint typeCount | type*
 * type    := varint typeId | string name | varint fieldCount | field*
 * field   := varint fieldId | string name | varint fieldTypeId | byte flags
 *            | [string target]          (flags &amp; HAS_TARGET)
 *            | [value default]          (flags &amp; HAS_DEFAULT; encoded as in {@link EntityCodec})
 * string  := varint length | UTF-8 bytes
 * </pre>
 */
public final class SchemaCodec {
    public static final int FORMAT_VERSION = 1;
    private static final int REQUIRED = 1;
    private static final int HAS_DEFAULT = 2;
    private static final int HAS_TARGET = 4;

    private SchemaCodec() {
    }

    public static void encode(Schema schema, ByteWriter out) {
        out.writeVarInt(FORMAT_VERSION).writeVarInt(schema.version()).writeVarInt(schema.types().size());
        for (StoredType t : schema.types()) {
            out.writeVarInt(t.typeId()).writeString(t.name()).writeVarInt(t.fields().size());
            for (int i = 0; i < t.fields().size(); i++) {
                Field f = t.fields().get(i);
                Object def = f.defaultValue();
                int flags = (f.isRequired() ? REQUIRED : 0) | (def != null ? HAS_DEFAULT : 0)
                        | (f.target() != null ? HAS_TARGET : 0);
                out.writeVarInt(t.fieldId(i)).writeString(f.name()).writeVarInt(f.type().id()).writeByte(flags);
                if (f.target() != null) {
                    out.writeString(f.target());
                }
                if (def != null) {
                    EntityCodec.writeValue(f.type(), def, out);
                }
            }
        }
    }

    /** Decodes a schema; malformed input throws {@link MalformedDataException}. */
    public static Schema decode(ByteReader in) {
        int format = in.readVarInt();
        if (format != FORMAT_VERSION) {
            throw new MalformedDataException("schema format version " + format + ", expected " + FORMAT_VERSION);
        }
        int version = in.readVarInt();
        int typeCount = in.readLength();
        List<StoredType> types = new ArrayList<>(typeCount);
        for (int t = 0; t < typeCount; t++) {
            int typeId = in.readVarInt();
            String name = in.readString().intern();
            int fieldCount = in.readLength();
            int[] ids = new int[fieldCount];
            EntityType.Builder b;
            try {
                b = EntityType.builder(name);
            } catch (IllegalArgumentException e) {
                throw new MalformedDataException("stored type name: " + e.getMessage());
            }
            for (int i = 0; i < fieldCount; i++) {
                ids[i] = in.readVarInt();
                String fieldName = in.readString().intern();
                FieldType type = FieldType.byId(in.readVarInt());
                if (type == null) {
                    throw new MalformedDataException("unknown field type in stored field " + name + "." + fieldName);
                }
                int flags = in.readByte();
                String target = (flags & HAS_TARGET) != 0 ? in.readString() : null;
                Object def = (flags & HAS_DEFAULT) != 0 ? EntityCodec.readValue(type, in) : null;
                try {
                    Field f = type == FieldType.REFERENCE ? Field.reference(fieldName, target) : Field.of(fieldName, type);
                    if ((flags & REQUIRED) != 0) {
                        f = f.required();
                    }
                    if (def != null) {
                        f = f.defaultValue(def);
                    }
                    b.field(f);
                } catch (IllegalArgumentException e) {
                    throw new MalformedDataException("stored field " + name + "." + fieldName + ": " + e.getMessage());
                }
            }
            try {
                types.add(new StoredType(typeId, b.build(), ids));
            } catch (IllegalArgumentException e) {
                throw new MalformedDataException("stored type " + name + ": " + e.getMessage());
            }
        }
        try {
            return new Schema(version, types);
        } catch (IllegalArgumentException e) {
            throw new MalformedDataException(e.getMessage());
        }
    }
}

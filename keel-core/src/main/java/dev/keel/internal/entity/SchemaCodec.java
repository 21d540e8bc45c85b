package dev.keel.internal.entity;

import dev.keel.EntityType;
import dev.keel.Field;
import dev.keel.FieldType;
import dev.keel.Index;
import dev.keel.OnDelete;
import dev.keel.internal.codec.ByteReader;
import dev.keel.internal.codec.ByteWriter;
import dev.keel.internal.codec.MalformedDataException;
import java.util.ArrayList;
import java.util.List;

/**
 * Binary form of a {@link Schema}, stored in checkpoints and in SCHEMA log records. Version 2 is
 * written; version 1 (no rules, indexes or steps; flags one byte) is still read, and its types get
 * the implicit indexes of their reference fields with ids 1..m.
 *
 * <pre>
 * schema  := varint formatVersion (=2) | varint schemaVersion | varint typeCount | type*
 *            | varint stepCount | step*
 * type    := varint typeId | string name | varint nextFieldId | varint nextIndexId
 *            | varint fieldCount | field* | varint indexCount | index*
 * field   := varint fieldId | string name | varint fieldTypeId | varint flags
 *            | [string target | varint onDeleteId]    (flags &amp; HAS_TARGET)
 *            | [value default]                         (flags &amp; HAS_DEFAULT; values encoded as in {@link EntityCodec})
 *            | [value min]                             (flags &amp; HAS_MIN)
 *            | [value max]                             (flags &amp; HAS_MAX)
 *            | [varint minLength | varint maxLength+1] (flags &amp; HAS_LENGTH; maxLength+1 = 0: unbounded)
 *            | [string pattern]                        (flags &amp; HAS_PATTERN)
 *            | [varint n | value*]                     (flags &amp; HAS_ALLOWED)
 * index   := varint indexId | string name | byte unique (0/1) | varint n | varint fieldId*
 * step    := string name | varint typeId | varlong lastId | byte done (0/1)
 * string  := varint length | UTF-8 bytes
 *
 * version 1: schema := varint 1 | varint schemaVersion | varint typeCount | type1*
 *            type1  := varint typeId | string name | varint fieldCount | field1*
 *            field1 := varint fieldId | string name | varint fieldTypeId | byte flags | [string target] | [value default]
 * </pre>
 */
public final class SchemaCodec {
    public static final int FORMAT_VERSION = 2;
    public static final int MIN_FORMAT_VERSION = 1;
    private static final int REQUIRED = 1;
    private static final int HAS_DEFAULT = 2;
    private static final int HAS_TARGET = 4;
    private static final int UNIQUE = 8;
    private static final int HAS_MIN = 16;
    private static final int HAS_MAX = 32;
    private static final int HAS_LENGTH = 64;
    private static final int HAS_PATTERN = 128;
    private static final int HAS_ALLOWED = 256;
    private static final int KNOWN_FLAGS = 511;

    private SchemaCodec() {
    }

    public static void encode(Schema schema, ByteWriter out) {
        out.writeVarInt(FORMAT_VERSION).writeVarInt(schema.version()).writeVarInt(schema.types().size());
        for (StoredType t : schema.types()) {
            out.writeVarInt(t.typeId()).writeString(t.name()).writeVarInt(t.nextFieldId()).writeVarInt(t.nextIndexId());
            out.writeVarInt(t.fields().size());
            for (int i = 0; i < t.fields().size(); i++) {
                writeField(t.fieldId(i), t.fields().get(i), out);
            }
            out.writeVarInt(t.indexes().size());
            for (StoredIndex ix : t.indexes()) {
                out.writeVarInt(ix.indexId()).writeString(ix.name()).writeByte(ix.unique() ? 1 : 0);
                out.writeVarInt(ix.fieldIds().length);
                for (int id : ix.fieldIds()) {
                    out.writeVarInt(id);
                }
            }
        }
        out.writeVarInt(schema.steps().size());
        for (Schema.StepState s : schema.steps()) {
            out.writeString(s.name()).writeVarInt(s.typeId()).writeVarLong(s.lastId()).writeByte(s.done() ? 1 : 0);
        }
    }

    private static void writeField(int fieldId, Field f, ByteWriter out) {
        Object def = f.defaultValue();
        boolean length = f.minLength() > 0 || f.maxLength() >= 0;
        int flags = (f.isRequired() ? REQUIRED : 0) | (def != null ? HAS_DEFAULT : 0) | (f.target() != null ? HAS_TARGET : 0)
                | (f.isUnique() ? UNIQUE : 0) | (f.min() != null ? HAS_MIN : 0) | (f.max() != null ? HAS_MAX : 0)
                | (length ? HAS_LENGTH : 0) | (f.pattern() != null ? HAS_PATTERN : 0)
                | (f.allowedValues() != null ? HAS_ALLOWED : 0);
        out.writeVarInt(fieldId).writeString(f.name()).writeVarInt(f.type().id()).writeVarInt(flags);
        if (f.target() != null) {
            out.writeString(f.target()).writeVarInt(f.onDeleteAction().id());
        }
        if (def != null) {
            EntityCodec.writeValue(f.type(), def, out);
        }
        if (f.min() != null) {
            EntityCodec.writeValue(f.type(), f.min(), out);
        }
        if (f.max() != null) {
            EntityCodec.writeValue(f.type(), f.max(), out);
        }
        if (length) {
            out.writeVarInt(f.minLength()).writeVarInt(f.maxLength() + 1);
        }
        if (f.pattern() != null) {
            out.writeString(f.pattern());
        }
        if (f.allowedValues() != null) {
            out.writeVarInt(f.allowedValues().size());
            for (Object v : f.allowedValues()) {
                EntityCodec.writeValue(f.type(), v, out);
            }
        }
    }

    /** Decodes a schema; malformed input throws {@link MalformedDataException}. */
    public static Schema decode(ByteReader in) {
        int format = in.readVarInt();
        if (format < MIN_FORMAT_VERSION || format > FORMAT_VERSION) {
            throw new MalformedDataException("schema format version " + format + ", expected " + MIN_FORMAT_VERSION
                    + " to " + FORMAT_VERSION);
        }
        boolean v1 = format == 1;
        int version = in.readVarInt();
        int typeCount = in.readLength();
        List<StoredType> types = new ArrayList<>(Math.min(typeCount, 1024));
        for (int t = 0; t < typeCount; t++) {
            types.add(readType(in, v1));
        }
        List<Schema.StepState> steps = new ArrayList<>();
        if (!v1) {
            int n = in.readLength();
            for (int i = 0; i < n; i++) {
                String name = in.readString();
                int typeId = in.readVarInt();
                long lastId = in.readVarLong();
                int done = in.readByte();
                if (done > 1) {
                    throw new MalformedDataException("migration step " + name + " has done flag " + done);
                }
                steps.add(new Schema.StepState(name, typeId, lastId, done == 1));
            }
        }
        try {
            return new Schema(version, types, steps);
        } catch (IllegalArgumentException e) {
            throw new MalformedDataException(e.getMessage());
        }
    }

    private static StoredType readType(ByteReader in, boolean v1) {
        int typeId = in.readVarInt();
        String name = in.readString().intern();
        int nextFieldId = v1 ? 0 : in.readVarInt();
        int nextIndexId = v1 ? 0 : in.readVarInt();
        int fieldCount = in.readLength();
        int[] ids = new int[fieldCount];
        List<Field> fields = new ArrayList<>(Math.min(fieldCount, 1024));
        for (int i = 0; i < fieldCount; i++) {
            ids[i] = in.readVarInt();
            fields.add(readField(in, name, v1));
        }
        try {
            EntityType.Builder b = SystemTypes.builder(name);
            fields.forEach(b::field);
            int[] indexIds;
            if (v1) {
                EntityType type = b.build();
                indexIds = new int[type.indexes().size()];
                for (int k = 0; k < indexIds.length; k++) {
                    indexIds[k] = k + 1;
                }
                return new StoredType(typeId, type, ids, indexIds, 0, 0);
            }
            int indexCount = in.readLength();
            indexIds = new int[indexCount];
            for (int k = 0; k < indexCount; k++) {
                indexIds[k] = in.readVarInt();
                String indexName = in.readString();
                int unique = in.readByte();
                int n = in.readLength();
                String[] indexFields = new String[n];
                for (int j = 0; j < n; j++) {
                    int fieldId = in.readVarInt();
                    int pos = -1;
                    for (int p = 0; p < ids.length; p++) {
                        if (ids[p] == fieldId) {
                            pos = p;
                        }
                    }
                    if (pos < 0) {
                        throw new MalformedDataException("index " + indexName + " of stored type " + name
                                + " names field id " + fieldId + ", which the type does not have");
                    }
                    indexFields[j] = fields.get(pos).name();
                }
                if (unique > 1) {
                    throw new MalformedDataException("index " + indexName + " has unique flag " + unique);
                }
                b.index((unique == 1 ? Index.unique(indexFields) : Index.on(indexFields)).named(indexName));
            }
            EntityType type = b.build();
            if (type.indexes().size() != indexCount) {
                throw new MalformedDataException("stored type " + name + " lacks the implicit index of a unique or"
                        + " reference field");
            }
            return new StoredType(typeId, type, ids, indexIds, nextFieldId, nextIndexId);
        } catch (IllegalArgumentException e) {
            throw new MalformedDataException("stored type " + name + ": " + e.getMessage());
        }
    }

    private static Field readField(ByteReader in, String typeName, boolean v1) {
        String fieldName = in.readString().intern();
        FieldType type = FieldType.byId(in.readVarInt());
        if (type == null) {
            throw new MalformedDataException("unknown field type in stored field " + typeName + "." + fieldName);
        }
        int flags = v1 ? in.readByte() : in.readVarInt();
        if ((flags & ~(v1 ? REQUIRED | HAS_DEFAULT | HAS_TARGET : KNOWN_FLAGS)) != 0) {
            throw new MalformedDataException("stored field " + typeName + "." + fieldName + " has unknown flags " + flags);
        }
        String target = (flags & HAS_TARGET) != 0 ? in.readString() : null;
        OnDelete onDelete = null;
        if (target != null && !v1) {
            int id = in.readVarInt();
            onDelete = OnDelete.byId(id);
            if (onDelete == null) {
                throw new MalformedDataException("stored field " + typeName + "." + fieldName + " has on-delete id " + id);
            }
        }
        Object def = (flags & HAS_DEFAULT) != 0 ? EntityCodec.readValue(type, in) : null;
        Object min = (flags & HAS_MIN) != 0 ? EntityCodec.readValue(type, in) : null;
        Object max = (flags & HAS_MAX) != 0 ? EntityCodec.readValue(type, in) : null;
        int minLength = 0;
        int maxLength = -1;
        if ((flags & HAS_LENGTH) != 0) {
            minLength = in.readVarInt();
            maxLength = in.readVarInt() - 1;
        }
        String pattern = (flags & HAS_PATTERN) != 0 ? in.readString() : null;
        List<Object> allowed = null;
        if ((flags & HAS_ALLOWED) != 0) {
            int n = in.readLength();
            allowed = new ArrayList<>(Math.min(n, 1024));
            for (int i = 0; i < n; i++) {
                allowed.add(EntityCodec.readValue(type, in));
            }
        }
        try {
            Field f = type == FieldType.REFERENCE ? Field.reference(fieldName, target) : Field.of(fieldName, type);
            if (onDelete != null) {
                f = f.onDelete(onDelete);
            }
            if ((flags & UNIQUE) != 0) {
                f = f.unique();
            }
            if (min != null) {
                f = f.min(min);
            }
            if (max != null) {
                f = f.max(max);
            }
            if ((flags & HAS_LENGTH) != 0) {
                f = f.length(minLength, maxLength);
            }
            if (pattern != null) {
                f = f.pattern(pattern);
            }
            if (allowed != null) {
                f = f.oneOf(allowed.toArray());
            }
            if ((flags & REQUIRED) != 0) {
                f = f.required();
            }
            if (def != null) {
                f = f.defaultValue(def);
            }
            return f;
        } catch (IllegalArgumentException e) {
            throw new MalformedDataException("stored field " + typeName + "." + fieldName + ": " + e.getMessage());
        }
    }
}

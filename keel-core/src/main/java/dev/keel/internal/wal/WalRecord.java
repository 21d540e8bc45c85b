package dev.keel.internal.wal;

import dev.keel.internal.codec.ByteReader;
import dev.keel.internal.codec.ByteWriter;
import dev.keel.internal.codec.MalformedDataException;

/**
 * The kinds of log records. A transaction is its PUT/DELETE/SCHEMA records followed by one COMMIT
 * record; only transactions whose COMMIT is in the log are ever applied. Kind ids are stable.
 *
 * <pre>
 * PUT    (1) varint typeId | varlong entityId | entity bytes (see EntityCodec; version = commit LSN)
 *            Written before schema versions were recorded (no longer written): the entity bytes are
 *            encoded under the schema in force at that point of the log (the checkpoint's, or the
 *            last SCHEMA record before it).
 * DELETE (2) varint typeId | varlong entityId
 * COMMIT (3) varint number of records in the transaction | varlong commit time, epoch millis
 *            | varlong syncedLsn: every record up to this LSN was on stable storage before this
 *              record was written (recovery uses it to tell a torn tail from real corruption)
 * SCHEMA (4) schema bytes (see SchemaCodec)
 * PUT_V  (5) varint schemaVersion | varint typeId | varlong entityId | entity bytes
 *            A PUT that names the schema version its entity bytes are encoded under, so replay can
 *            convert a record written before a schema migration (see EntityConverter). Every put
 *            the engine writes has this kind; the log writer stamps the version in force.
 * </pre>
 * DELETE and COMMIT carry no field data and so no schema version: they mean the same under every
 * version (type ids never change, also across a type rename).
 */
public sealed interface WalRecord {
    int PUT = 1;
    int DELETE = 2;
    int COMMIT = 3;
    int SCHEMA = 4;
    int PUT_V = 5;

    int kind();

    /** Writes the payload. */
    void writePayload(ByteWriter out);

    /**
     * A PUT ({@code schemaVersion} = {@link #UNVERSIONED}, kind 1) or PUT_V (kind 5) record.
     * {@link WalWriter} writes an unversioned put handed to it as PUT_V under its current schema version.
     */
    record Put(int schemaVersion, int typeId, long id, byte[] entity) implements WalRecord {
        /** The schema version of a kind 1 PUT: the one in force at its place in the log. */
        public static final int UNVERSIONED = -1;

        /** A put whose schema version the log writer stamps. */
        public Put(int typeId, long id, byte[] entity) {
            this(UNVERSIONED, typeId, id, entity);
        }

        public boolean versioned() {
            return schemaVersion != UNVERSIONED;
        }

        /** This put stamped with {@code version}, unless it has one already. */
        public Put withSchemaVersion(int version) {
            return versioned() ? this : new Put(version, typeId, id, entity);
        }

        @Override
        public int kind() {
            return versioned() ? PUT_V : PUT;
        }

        @Override
        public void writePayload(ByteWriter out) {
            if (versioned()) {
                out.writeVarInt(schemaVersion);
            }
            out.writeVarInt(typeId).writeVarLong(id).writeBytes(entity);
        }
    }

    record Delete(int typeId, long id) implements WalRecord {
        @Override
        public int kind() {
            return DELETE;
        }

        @Override
        public void writePayload(ByteWriter out) {
            out.writeVarInt(typeId).writeVarLong(id);
        }
    }

    record Commit(int recordCount, long timeMillis, long syncedLsn) implements WalRecord {
        @Override
        public int kind() {
            return COMMIT;
        }

        @Override
        public void writePayload(ByteWriter out) {
            out.writeVarInt(recordCount).writeVarLong(timeMillis).writeVarLong(syncedLsn);
        }
    }

    record SchemaChange(byte[] schema) implements WalRecord {
        @Override
        public int kind() {
            return SCHEMA;
        }

        @Override
        public void writePayload(ByteWriter out) {
            out.writeBytes(schema);
        }
    }

    /** Whether {@code kind} is one {@link #decode} knows (a frame of any other kind is damage). */
    static boolean isKnownKind(int kind) {
        return kind >= PUT && kind <= PUT_V;
    }

    /** Decodes a payload; malformed bytes throw {@link MalformedDataException}. */
    static WalRecord decode(int kind, byte[] data, int offset, int length) {
        ByteReader r = new ByteReader(data, offset, length);
        WalRecord rec = switch (kind) {
            case PUT -> {
                int typeId = r.readVarInt();
                long id = r.readVarLong();
                yield new Put(typeId, id, r.readBytes(r.remaining()));
            }
            case PUT_V -> {
                int version = r.readVarInt();
                int typeId = r.readVarInt();
                long id = r.readVarLong();
                yield new Put(version, typeId, id, r.readBytes(r.remaining()));
            }
            case DELETE -> new Delete(r.readVarInt(), r.readVarLong());
            case COMMIT -> new Commit(r.readVarInt(), r.readVarLong(), r.readVarLong());
            case SCHEMA -> new SchemaChange(r.readBytes(r.remaining()));
            default -> throw new MalformedDataException("unknown log record kind " + kind);
        };
        if (r.hasRemaining()) {
            throw new MalformedDataException(r.remaining() + " trailing bytes in log record of kind " + kind);
        }
        return rec;
    }
}

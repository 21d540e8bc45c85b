package dev.keel.fuzz;

import com.code_intelligence.jazzer.junit.FuzzTest;
import dev.keel.internal.codec.ByteReader;
import dev.keel.internal.codec.ByteWriter;
import dev.keel.internal.codec.MalformedDataException;
import dev.keel.internal.entity.Schema;
import dev.keel.internal.entity.SchemaCodec;
import dev.keel.internal.entity.StoredType;
import java.util.Iterator;

/**
 * Schema records ({@link SchemaCodec}), as stored in SCHEMA log records and checkpoint SCHEMA blocks:
 * the only allowed failure is {@link MalformedDataException}. A schema that decodes must encode again
 * (the engine rewrites it when types are added) and decode to the same schema.
 * Saved inputs: {@code src/test/resources/dev/keel/fuzz/SchemaDecodingFuzzTestInputs/schemaRecord/}.
 */
class SchemaDecodingFuzzTest {

    @FuzzTest(maxDuration = "1m")
    void schemaRecord(byte[] data) {
        Schema schema;
        try {
            schema = SchemaCodec.decode(new ByteReader(data));
        } catch (MalformedDataException expected) {
            return;
        }
        ByteWriter out = new ByteWriter(data.length + 16);
        SchemaCodec.encode(schema, out);
        Schema back = SchemaCodec.decode(new ByteReader(out.toByteArray()));
        if (back.version() != schema.version() || back.types().size() != schema.types().size()) {
            throw new AssertionError("schema " + describe(schema) + " round-trips as " + describe(back));
        }
        Iterator<StoredType> it = back.types().iterator();
        for (StoredType t : schema.types()) {
            StoredType u = it.next();
            boolean same = t.typeId() == u.typeId() && t.type().equals(u.type());
            for (int i = 0; same && i < t.fields().size(); i++) {
                same = t.fieldId(i) == u.fieldId(i);
            }
            if (!same) {
                throw new AssertionError("schema " + describe(schema) + " round-trips as " + describe(back));
            }
        }
    }

    private static String describe(Schema s) {
        StringBuilder b = new StringBuilder("v").append(s.version());
        for (StoredType t : s.types()) {
            b.append(' ').append(t.typeId()).append('=').append(t.type());
        }
        return b.toString();
    }
}

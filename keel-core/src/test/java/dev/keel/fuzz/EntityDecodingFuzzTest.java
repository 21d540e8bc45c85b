package dev.keel.fuzz;

import com.code_intelligence.jazzer.junit.FuzzTest;
import dev.keel.internal.codec.ByteWriter;
import dev.keel.internal.codec.MalformedDataException;
import dev.keel.internal.entity.EntityCodec;
import dev.keel.internal.entity.StoredType;
import dev.keel.internal.entity.Values;
import java.util.Map;

/**
 * Entity payloads ({@link EntityCodec}) of a type with every field type and sparse field ids: the
 * only allowed failure is {@link MalformedDataException}. What decodes must encode again and decode
 * to equal values and version.
 * Saved inputs: {@code src/test/resources/dev/keel/fuzz/EntityDecodingFuzzTestInputs/entityPayload/}.
 */
class EntityDecodingFuzzTest {
    private static final StoredType TYPE = FuzzSupport.ENTITY_TYPE;

    @FuzzTest(maxDuration = "1m")
    void entityPayload(byte[] data) {
        Map<String, Object> values;
        long version;
        try {
            EntityCodec.decode(TYPE, 1, data);
            values = EntityCodec.decodeValues(TYPE, data);
            version = EntityCodec.version(data);
        } catch (MalformedDataException expected) {
            return;
        }
        byte[] again = EntityCodec.encode(TYPE, version, values, new ByteWriter(data.length + 16));
        Map<String, Object> back = EntityCodec.decodeValues(TYPE, again);
        if (EntityCodec.version(again) != version || !back.keySet().equals(values.keySet())) {
            throw new AssertionError(values + " at version " + version + " round-trips as " + back);
        }
        for (Map.Entry<String, Object> e : values.entrySet()) {
            if (!Values.equal(e.getValue(), back.get(e.getKey()))) {
                throw new AssertionError("field " + e.getKey() + ": " + Values.toString(e.getValue())
                        + " round-trips as " + Values.toString(back.get(e.getKey())));
            }
        }
    }
}

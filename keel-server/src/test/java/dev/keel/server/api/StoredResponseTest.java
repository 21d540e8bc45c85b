package dev.keel.server.api;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.keel.Entity;
import dev.keel.server.ServerFixture;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The stored form of a write's answer: encoding, and versions filled from the commit LSN when rendered. */
class StoredResponseTest {

    private static Entity entity(long version) {
        Map<String, Object> values = new LinkedHashMap<>();
        values.put("name", "Ada \"version\":null");
        values.put("emb", new float[] {0.1f, 1e-7f, Float.NaN});
        values.put("score", 0.1);
        return new Entity("Person", 7, version, values);
    }

    @Test
    void aWrittenEntityGetsTheCommitLsnInBodyAndEtag() throws Exception {
        StoredResponse template = StoredResponse.entity(201, EntityJson.write(entity(0)));
        assertEquals("\"" + StoredResponse.VERSION_TOKEN + "\"", template.header("ETag"));
        StoredResponse decoded = StoredResponse.decode(template.encode());
        StoredResponse rendered = decoded.render(345);
        JsonNode body = ServerFixture.JSON.readTree(rendered.body());
        assertEquals(345, body.get("version").asLong());
        assertEquals("\"345\"", rendered.header("ETag"));
        assertEquals("/v1/entities/Person/7", rendered.header("Location"));
        assertEquals(201, rendered.status());
        // Values are untouched, text that looks like a placeholder included, floats exactly.
        assertEquals("Ada \"version\":null", body.get("values").get("name").asText());
        assertEquals(0.1f, (float) body.get("values").get("emb").get(0).asDouble());
        assertEquals(1e-7f, Float.parseFloat(body.get("values").get("emb").get(1).asText()));
        assertEquals("NaN", body.get("values").get("emb").get(2).asText());
        // Rendering is deterministic: the first answer and every replay are equal.
        assertArrayEquals(rendered.body(), StoredResponse.decode(template.encode()).render(345).body());
    }

    @Test
    void anEntityReadUnchangedKeepsItsVersion() throws Exception {
        StoredResponse rendered = StoredResponse.entity(200, EntityJson.write(entity(12))).render(345);
        assertEquals(12, ServerFixture.JSON.readTree(rendered.body()).get("version").asLong());
        assertEquals("\"12\"", rendered.header("ETag"));
        assertEquals(null, rendered.header("Location"));
    }

    @Test
    void aTransactionGetsItsLsnAndTheVersionsOfWhatItWrote() throws Exception {
        ObjectNode body = JsonNodeFactory.instance.objectNode();
        body.putNull("lsn");
        body.putArray("results").addObject().put("status", 201).set("entity", EntityJson.write(entity(0)));
        ((com.fasterxml.jackson.databind.node.ArrayNode) body.get("results")).addObject().put("status", 200)
                .set("entity", EntityJson.write(entity(3)));
        ((com.fasterxml.jackson.databind.node.ArrayNode) body.get("results")).addObject().put("status", 204);
        JsonNode r = ServerFixture.JSON.readTree(StoredResponse.decode(StoredResponse.json(200, body).encode())
                .render(99).body());
        assertEquals(99, r.get("lsn").asLong());
        assertEquals(99, r.get("results").get(0).get("entity").get("version").asLong());
        assertEquals(3, r.get("results").get(1).get("entity").get("version").asLong());
        assertEquals(204, r.get("results").get(2).get("status").asInt());
    }

    @Test
    void noContentAndBadBytes() {
        StoredResponse none = StoredResponse.decode(StoredResponse.noContent().encode()).render(5);
        assertEquals(204, none.status());
        assertEquals(0, none.body().length);
        IllegalStateException e = assertThrows(IllegalStateException.class,
                () -> StoredResponse.decode("{\"a\":1}".getBytes(StandardCharsets.UTF_8)));
        assertTrue(e.getMessage().contains("format version"), e.getMessage());
        assertThrows(IllegalStateException.class, () -> StoredResponse.decode(new byte[] {1, 0}));
    }
}

package dev.keel.server.api;

import static org.junit.jupiter.api.Assertions.assertEquals;

import com.fasterxml.jackson.databind.JsonNode;
import dev.keel.Entity;
import dev.keel.EntityType;
import dev.keel.Field;
import dev.keel.KeelDb;
import dev.keel.KeelOptions;
import dev.keel.OnDelete;
import dev.keel.server.Problems;
import dev.keel.server.ServerConfig;
import dev.keel.server.ServerFixture;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.util.List;
import java.util.function.UnaryOperator;
import java.util.stream.Collectors;

/**
 * Test support: a server over a database whose types were stored beforehand (the server serves the
 * stored schema), and assertions on answers and on what is stored.
 */
final class ApiServer {
    static final EntityType COMPANY = EntityType.builder("Company")
            .field(Field.text("name").required().unique())
            .build();
    static final EntityType PERSON = EntityType.builder("Person")
            .field(Field.text("name").required())
            .field(Field.intField("age").min(0).max(150))
            .field(Field.text("email").unique())
            .field(Field.doubleField("score"))
            .field(Field.bool("active"))
            .field(Field.timestamp("born"))
            .field(Field.bytes("photo"))
            .field(Field.reference("employer", "Company"))
            .field(Field.vector("emb"))
            .field(Field.longField("big"))
            .field(Field.text("nick").defaultValue("x"))
            .index("age")
            .build();
    /** Notes belong to a person and go with it (CASCADE). */
    static final EntityType NOTE = EntityType.builder("Note")
            .field(Field.text("text"))
            .field(Field.reference("about", "Person").onDelete(OnDelete.CASCADE))
            .build();

    private ApiServer() {
    }

    /** Stores {@link #COMPANY}, {@link #PERSON} and {@link #NOTE} in {@code dir}, then serves it. */
    static ServerFixture start(Path dir) {
        return start(dir, b -> b);
    }

    static ServerFixture start(Path dir, UnaryOperator<ServerConfig.Builder> tweak) {
        return start(dir, tweak, List.of(COMPANY, PERSON, NOTE));
    }

    static ServerFixture start(Path dir, UnaryOperator<ServerConfig.Builder> tweak, List<EntityType> types) {
        KeelOptions.Builder options = KeelOptions.builder();
        types.forEach(options::entityType);
        try (KeelDb db = KeelDb.open(dir, options.build())) {
            assertEquals(types.size(), db.schema().size());
        }
        return ServerFixture.start(dir, tweak).awaitReady();
    }

    /** Everything stored, and the last commit's LSN: equal before and after a refused request. */
    static String dump(ServerFixture s) {
        return s.server().database().withDatabase(db -> {
            var snapshot = db.snapshot();
            return "lsn " + snapshot.lsn() + "\n" + db.schema().stream()
                    .flatMap(t -> snapshot.scan(t.name()).map(Entity::toString))
                    .collect(Collectors.joining("\n"));
        });
    }

    /** Number of entities of {@code type}. */
    static long count(ServerFixture s, String type) {
        return s.server().database().withDatabase(db -> db.snapshot().count(type));
    }

    /** Asserts a problem answer with {@code status} and {@code code}; returns its body. */
    static JsonNode problem(HttpResponse<String> r, int status, String code) {
        assertEquals(status, r.statusCode(), r.body());
        assertEquals(Problems.MEDIA_TYPE, r.headers().firstValue("Content-Type").orElse("").split(";")[0], r.body());
        JsonNode p = ServerFixture.json(r);
        assertEquals(code, p.path("code").asText(), r.body());
        assertEquals(status, p.path("status").asInt(), r.body());
        return p;
    }

    /** Asserts {@code status}; returns the JSON body. */
    static JsonNode ok(HttpResponse<String> r, int status) {
        assertEquals(status, r.statusCode(), r.body());
        return ServerFixture.json(r);
    }

    /** POSTs {@code {"values": values}} to the type's collection; asserts 201; returns the entity. */
    static JsonNode create(ServerFixture s, String type, String values) {
        return ok(s.send("POST", "/v1/entities/" + type, "{\"values\":" + values + "}"), 201);
    }
}

package dev.keel.internal.entity;

import dev.keel.EntityType;
import dev.keel.Field;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.function.Function;

/**
 * The entity types the engine owns ("system types") and the rule that reserves their names: every
 * type name starting with {@value #PREFIX} belongs to KeelDB. The engine adds the system types to
 * the declared types at every open, so they are logged, checkpointed, recovered and migrated
 * exactly like user data; users cannot declare, write or re-index them ({@link EntityType#builder}
 * refuses the prefix), {@code KeelDb.schema()} and the export leave them out, and tools that look
 * at every stored type (inspect, verify) see them as they are.
 *
 * <p>{@value #IDEMPOTENCY} holds one record per idempotency key of {@code KeelDb.writeIdempotent}:
 * <pre>
 *   key        TEXT       required, unique (1..255 visible ASCII characters)
 *   request    BYTES      required, the SHA-256 of the request (32 bytes)
 *   response   BYTES      required, what the first run's work returned
 *   createdAt  TIMESTAMP  required, when the first run committed
 *   expiresAt  TIMESTAMP  required, createdAt + the TTL then configured; indexed for the purge
 * </pre>
 *
 * <p>Building a type under a reserved name: the public builder refuses it, so {@link EntityType}
 * hands its unchecked builder to {@link #install} from its class initializer, and code that
 * rebuilds stored types (the schema codec and planner) asks {@link #builder} here.
 */
public final class SystemTypes {
    /** Type names starting with this are reserved for system types. */
    public static final String PREFIX = "keel_";
    /** The idempotency records of {@code KeelDb.writeIdempotent}. */
    public static final String IDEMPOTENCY = "keel_idempotency";
    public static final String KEY = "key";
    public static final String REQUEST = "request";
    public static final String RESPONSE = "response";
    public static final String CREATED_AT = "createdAt";
    public static final String EXPIRES_AT = "expiresAt";
    /** Longest idempotency key, in characters. */
    public static final int MAX_KEY_LENGTH = 255;

    private static volatile Function<String, EntityType.Builder> reservedBuilder;

    private SystemTypes() {
    }

    /** Whether {@code typeName} is reserved for (or is) a system type. */
    public static boolean isSystem(String typeName) {
        return typeName != null && typeName.startsWith(PREFIX);
    }

    /**
     * Called once, by {@link EntityType}'s class initializer, with the builder that accepts reserved
     * names. Any later call is refused.
     */
    public static synchronized void install(Function<String, EntityType.Builder> builderForReservedNames) {
        if (reservedBuilder != null) {
            throw new IllegalStateException("the builder for reserved type names is installed already");
        }
        reservedBuilder = Objects.requireNonNull(builderForReservedNames, "builderForReservedNames");
    }

    /** A builder for a type named {@code name}, reserved or not: for code that rebuilds stored types. */
    public static EntityType.Builder builder(String name) {
        if (!isSystem(name)) {
            return EntityType.builder(name);
        }
        Function<String, EntityType.Builder> b = reservedBuilder;
        if (b == null) {
            try {
                // EntityType installs it when it is initialized; make sure it was.
                Class.forName(EntityType.class.getName(), true, EntityType.class.getClassLoader());
            } catch (ClassNotFoundException e) {
                throw new IllegalStateException(e);
            }
            b = reservedBuilder;
        }
        return b.apply(name);
    }

    /** The type of {@value #IDEMPOTENCY}. */
    public static EntityType idempotency() {
        return Idempotency.TYPE;
    }

    /** The system types, in the order they are added to a schema. */
    public static List<EntityType> all() {
        return List.of(idempotency());
    }

    /** {@code declared} followed by every system type: what the engine plans against the stored schema. */
    public static List<EntityType> withSystemTypes(List<EntityType> declared) {
        List<EntityType> all = new ArrayList<>(declared.size() + 1);
        for (EntityType t : declared) {
            if (isSystem(t.name())) {
                throw new IllegalArgumentException("entity type " + t.name() + " is a system type and cannot be"
                        + " declared");
            }
            all.add(t);
        }
        all.addAll(all());
        return all;
    }

    /** Lazily built: its class initializer needs {@link EntityType}'s to have run. */
    private static final class Idempotency {
        static final EntityType TYPE = builder(IDEMPOTENCY)
                .field(Field.text(KEY).required().unique().length(1, MAX_KEY_LENGTH))
                .field(Field.bytes(REQUEST).required())
                .field(Field.bytes(RESPONSE).required())
                .field(Field.timestamp(CREATED_AT).required())
                .field(Field.timestamp(EXPIRES_AT).required())
                .index(EXPIRES_AT)
                .build();
    }
}

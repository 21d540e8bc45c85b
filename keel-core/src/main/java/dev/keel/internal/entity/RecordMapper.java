package dev.keel.internal.entity;

import dev.keel.Default;
import dev.keel.Indexed;
import dev.keel.Length;
import dev.keel.Matches;
import dev.keel.Max;
import dev.keel.Min;
import dev.keel.OneOf;
import dev.keel.RenamedFrom;
import dev.keel.Unique;
import dev.keel.Entity;
import dev.keel.EntityName;
import dev.keel.EntityType;
import dev.keel.Field;
import dev.keel.FieldType;
import dev.keel.Reference;
import dev.keel.Required;
import java.lang.reflect.Constructor;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.RecordComponent;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Maps a Java record class to an {@link EntityType} and converts between record instances and field
 * values, through the record's components and canonical constructor (no Java serialization).
 * Instances are cached per class and thread-safe.
 */
public final class RecordMapper<R extends Record> {
    private static final ClassValue<RecordMapper<?>> CACHE = new ClassValue<>() {
        @Override
        @SuppressWarnings({"unchecked", "rawtypes"})
        protected RecordMapper<?> computeValue(Class<?> type) {
            return new RecordMapper(type.asSubclass(Record.class));
        }
    };
    private static final Map<Class<?>, FieldType> TYPES = new ConcurrentHashMap<>(Map.ofEntries(
            Map.entry(String.class, FieldType.TEXT), Map.entry(long.class, FieldType.LONG),
            Map.entry(Long.class, FieldType.LONG), Map.entry(int.class, FieldType.INT),
            Map.entry(Integer.class, FieldType.INT), Map.entry(short.class, FieldType.INT),
            Map.entry(double.class, FieldType.DOUBLE), Map.entry(Double.class, FieldType.DOUBLE),
            Map.entry(float.class, FieldType.DOUBLE), Map.entry(boolean.class, FieldType.BOOLEAN),
            Map.entry(Boolean.class, FieldType.BOOLEAN), Map.entry(Instant.class, FieldType.TIMESTAMP),
            Map.entry(byte[].class, FieldType.BYTES), Map.entry(float[].class, FieldType.VECTOR)));

    private final Class<R> recordClass;
    private final RecordComponent[] components;
    private final Constructor<R> constructor;
    private final java.lang.reflect.Method[] accessors;
    private final EntityType entityType;

    private RecordMapper(Class<R> recordClass) {
        if (!recordClass.isRecord()) {
            throw new IllegalArgumentException(recordClass.getName() + " is not a record class");
        }
        this.recordClass = recordClass;
        this.components = recordClass.getRecordComponents();
        Class<?>[] types = new Class<?>[components.length];
        EntityName named = recordClass.getAnnotation(EntityName.class);
        EntityType.Builder b = EntityType.builder(named != null ? named.value() : recordClass.getSimpleName());
        RenamedFrom typeRename = recordClass.getAnnotation(RenamedFrom.class);
        if (typeRename != null) {
            b.renamedFrom(typeRename.value());
        }
        for (int i = 0; i < components.length; i++) {
            types[i] = components[i].getType();
            b.field(fieldFor(components[i]));
            if (components[i].isAnnotationPresent(Indexed.class)) {
                b.index(components[i].getName());
            }
        }
        this.entityType = b.build();
        this.accessors = new java.lang.reflect.Method[components.length];
        for (int i = 0; i < components.length; i++) {
            accessors[i] = components[i].getAccessor();
            if (!accessors[i].trySetAccessible()) {
                throw new IllegalArgumentException("cannot read component " + components[i].getName() + " of "
                        + recordClass.getName() + "; make the record and its enclosing classes public, or open its"
                        + " package to KeelDB's module");
            }
        }
        try {
            this.constructor = recordClass.getDeclaredConstructor(types);
            this.constructor.setAccessible(true);
        } catch (NoSuchMethodException | SecurityException | java.lang.reflect.InaccessibleObjectException e) {
            throw new IllegalArgumentException("cannot use the canonical constructor of " + recordClass.getName()
                    + "; make the record accessible (public, or open its package)", e);
        }
    }

    @SuppressWarnings("unchecked")
    public static <R extends Record> RecordMapper<R> of(Class<R> recordClass) {
        return (RecordMapper<R>) CACHE.get(recordClass);
    }

    private static Field fieldFor(RecordComponent c) {
        Class<?> t = c.getType();
        Reference ref = c.getAnnotation(Reference.class);
        Field f;
        if (ref != null) {
            if (t != long.class && t != Long.class) {
                throw new IllegalArgumentException("@Reference component " + c.getName() + " must be long or Long");
            }
            f = Field.reference(c.getName(), ref.value()).onDelete(ref.onDelete());
        } else {
            FieldType type = TYPES.get(t);
            if (type == null) {
                throw new IllegalArgumentException("record component " + c.getDeclaringRecord().getSimpleName() + "."
                        + c.getName() + " has type " + t.getName() + ", which has no KeelDB field type; use String,"
                        + " long, int, double, boolean, Instant, byte[] or float[]");
            }
            f = Field.of(c.getName(), type);
        }
        if (t.isPrimitive() || c.isAnnotationPresent(Required.class)) {
            f = f.required();
        }
        f = withRules(f, c);
        Default def = c.getAnnotation(Default.class);
        if (def != null) {
            f = f.defaultValue(parseDefault(f, def.value()));
        }
        return f;
    }

    private static Field withRules(Field f, RecordComponent c) {
        try {
            if (c.isAnnotationPresent(Unique.class)) {
                f = f.unique();
            }
            Min min = c.getAnnotation(Min.class);
            Max max = c.getAnnotation(Max.class);
            if (min != null) {
                f = f.min(bound(f, min.value()));
            }
            if (max != null) {
                f = f.max(bound(f, max.value()));
            }
            Length length = c.getAnnotation(Length.class);
            if (length != null) {
                f = f.length(length.min(), length.max());
            }
            Matches matches = c.getAnnotation(Matches.class);
            if (matches != null) {
                f = f.pattern(matches.value());
            }
            OneOf oneOf = c.getAnnotation(OneOf.class);
            if (oneOf != null) {
                f = f.oneOf((Object[]) oneOf.value());
            }
            RenamedFrom renamed = c.getAnnotation(RenamedFrom.class);
            if (renamed != null) {
                f = f.renamedFrom(renamed.value());
            }
            return f;
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("record component " + c.getDeclaringRecord().getSimpleName() + "."
                    + c.getName() + ": " + e.getMessage(), e);
        }
    }

    private static Object bound(Field f, long value) {
        return switch (f.type()) {
            case INT -> Math.toIntExact(value);
            case DOUBLE -> (double) value;
            case TIMESTAMP -> java.time.Instant.ofEpochSecond(value);
            default -> value;
        };
    }

    private static Object parseDefault(Field f, String text) {
        try {
            return switch (f.type()) {
                case TEXT -> text;
                case LONG, REFERENCE -> Long.parseLong(text);
                case INT -> Integer.parseInt(text);
                case DOUBLE -> Double.parseDouble(text);
                case BOOLEAN -> switch (text) {
                    case "true" -> Boolean.TRUE;
                    case "false" -> Boolean.FALSE;
                    default -> throw new IllegalArgumentException("not true/false");
                };
                case TIMESTAMP -> Instant.parse(text);
                case BYTES, VECTOR -> throw new IllegalArgumentException("@Default is not supported for " + f.type());
            };
        } catch (RuntimeException e) {
            throw new IllegalArgumentException("@Default(\"" + text + "\") of field " + f.name() + " does not parse as "
                    + f.type() + ": " + e.getMessage(), e);
        }
    }

    public EntityType entityType() {
        return entityType;
    }

    public Class<R> recordClass() {
        return recordClass;
    }

    /** Field values of a record; null components are left out (so defaults apply on insert). */
    public Map<String, Object> toValues(R record) {
        Map<String, Object> values = new LinkedHashMap<>();
        for (int i = 0; i < components.length; i++) {
            RecordComponent c = components[i];
            Object v;
            try {
                v = accessors[i].invoke(record);
            } catch (IllegalAccessException | InvocationTargetException e) {
                throw new IllegalArgumentException("cannot read component " + c.getName() + " of " + recordClass.getName(), e);
            }
            if (v instanceof Float f) {
                v = f.doubleValue();
            }
            if (v != null) {
                values.put(c.getName(), v);
            }
        }
        return values;
    }

    /** Builds a record from a stored entity. */
    public R fromEntity(Entity entity) {
        Object[] args = new Object[components.length];
        for (int i = 0; i < components.length; i++) {
            args[i] = toComponent(components[i].getType(), entity.values().get(components[i].getName()));
        }
        try {
            return constructor.newInstance(args);
        } catch (InstantiationException | IllegalAccessException | InvocationTargetException e) {
            throw new IllegalStateException("cannot construct " + recordClass.getName() + " from " + entity, e);
        }
    }

    private static Object toComponent(Class<?> t, Object v) {
        if (v == null) {
            if (t.isPrimitive()) {
                return t == boolean.class ? Boolean.FALSE : t == double.class ? 0.0d : t == float.class ? 0.0f
                        : t == int.class ? 0 : t == short.class ? (short) 0 : 0L;
            }
            return null;
        }
        if (t == int.class || t == Integer.class) {
            return v instanceof Long l ? Math.toIntExact(l) : v;
        }
        if (t == short.class) {
            return (short) (v instanceof Long l ? Math.toIntExact(l) : (Integer) v);
        }
        if (t == float.class) {
            return ((Double) v).floatValue();
        }
        return Values.copyOf(v);
    }
}

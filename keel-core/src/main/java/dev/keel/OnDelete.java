package dev.keel;

/**
 * What deleting an entity does to the entities whose {@link FieldType#REFERENCE} field points at it.
 * The id is stored in the database and never changes.
 */
public enum OnDelete {
    /** The delete fails with a {@link ConstraintViolationException} naming how many and which entities refer to it. */
    RESTRICT(1),
    /** The referring entities are deleted too, in the same transaction, recursively across types (cycles included). */
    CASCADE(2),
    /** The reference field of the referring entities is cleared, in the same transaction; only for optional fields. */
    SET_NULL(3);

    private final int id;

    OnDelete(int id) {
        this.id = id;
    }

    /** Stable id written to disk. */
    public int id() {
        return id;
    }

    /** The action with the given stable id, or {@code null}. */
    public static OnDelete byId(int id) {
        for (OnDelete d : values()) {
            if (d.id == id) {
                return d;
            }
        }
        return null;
    }
}

package dev.keel;

import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;

/** Marks a {@code long}/{@code Long} record component as a reference to the named entity type. */
@Retention(RetentionPolicy.RUNTIME)
@Target({ElementType.RECORD_COMPONENT})
public @interface Reference {
    /** The target entity type name. */
    String value();

    /** What deleting the target does to this entity (RESTRICT unless declared). */
    OnDelete onDelete() default OnDelete.RESTRICT;
}

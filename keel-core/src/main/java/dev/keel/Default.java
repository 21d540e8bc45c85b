package dev.keel;

import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;

/**
 * The default of a record component's field, written as text: a number, {@code true}/{@code false},
 * an ISO-8601 instant, or the text itself. Applied when a {@code null} component is inserted.
 */
@Retention(RetentionPolicy.RUNTIME)
@Target({ElementType.RECORD_COMPONENT})
public @interface Default {
    String value();
}

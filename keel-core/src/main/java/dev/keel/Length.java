package dev.keel;

import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;

/** Allowed length of a String, byte[] or float[] component (see {@link Field#length}). */
@Retention(RetentionPolicy.RUNTIME)
@Target({ElementType.RECORD_COMPONENT})
public @interface Length {
    int min() default 0;

    /** The largest length, or -1 for none. */
    int max() default -1;
}

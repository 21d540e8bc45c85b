package dev.keel.internal.util;

/** Argument and state checks that throw the JDK's exceptions with a message. */
public final class Preconditions {
    private Preconditions() {
    }

    public static void requireArgument(boolean condition, String message) {
        if (!condition) {
            throw new IllegalArgumentException(message);
        }
    }

    public static void requireState(boolean condition, String message) {
        if (!condition) {
            throw new IllegalStateException(message);
        }
    }
}

package dev.keel.internal.util;

import java.io.Closeable;
import java.io.IOException;

/** Closing several resources so that every one is closed and the first failure is kept. */
public final class Closeables {
    private Closeables() {
    }

    /** Closes all; throws the first IOException with later ones suppressed. Nulls are skipped. */
    public static void closeAll(Closeable... resources) throws IOException {
        IOException first = null;
        for (Closeable c : resources) {
            if (c == null) {
                continue;
            }
            try {
                c.close();
            } catch (IOException e) {
                if (first == null) {
                    first = e;
                } else {
                    first.addSuppressed(e);
                }
            }
        }
        if (first != null) {
            throw first;
        }
    }

    /** Closes, adding any failure as suppressed to {@code primary}; for cleanup on an error path. */
    public static void closeQuietly(Throwable primary, Closeable resource) {
        if (resource == null) {
            return;
        }
        try {
            resource.close();
        } catch (IOException | RuntimeException e) {
            primary.addSuppressed(e);
        }
    }
}

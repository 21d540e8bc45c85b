package dev.keel.server.schema;

import java.util.Objects;

/**
 * One error in a schema document.
 *
 * @param path where: keys and list positions from the document's root, e.g.
 *        {@code types[1].fields[2].min}; empty for the document as a whole
 * @param message what is wrong and what to write instead
 */
public record SchemaError(String path, String message) {
    public SchemaError {
        Objects.requireNonNull(path, "path");
        Objects.requireNonNull(message, "message");
    }

    /** {@code path: message}, or only the message for the whole document. */
    @Override
    public String toString() {
        return path.isEmpty() ? message : path + ": " + message;
    }
}

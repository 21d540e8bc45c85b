package dev.keel;

/**
 * Told about the progress of {@link KeelDb#open}: at every phase change (also the later ones:
 * {@code FAILED}, {@code SHUTTING_DOWN}, {@code CLOSED}) and whenever overall progress moved by at
 * least one percent. Called on the thread that made the change (the opening thread while opening;
 * a failing or closing thread later), one call at a time and in the order of the changes. It must
 * be quick and must not call the database (a failing commit may be waiting for it). An exception it
 * throws is logged and ignored: a listener can never fail an open.
 */
@FunctionalInterface
public interface BootListener {
    /** A listener that does nothing. */
    BootListener NONE = progress -> { };

    void onProgress(BootProgress progress);
}

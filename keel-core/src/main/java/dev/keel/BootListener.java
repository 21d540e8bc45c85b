package dev.keel;

/**
 * Told about the progress of {@link KeelDb#open}: at every phase change and whenever overall progress
 * moved by at least one percent. Called on the opening thread, so it must be quick; it may read
 * anything in the snapshot it gets. An exception it throws is logged and ignored: a listener can
 * never fail an open.
 */
@FunctionalInterface
public interface BootListener {
    /** A listener that does nothing. */
    BootListener NONE = progress -> { };

    void onProgress(BootProgress progress);
}

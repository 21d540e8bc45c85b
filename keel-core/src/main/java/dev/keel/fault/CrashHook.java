package dev.keel.fault;

/**
 * Receives every {@link CrashPoint} the engine passes. The default, {@link #NONE}, does nothing,
 * so an engine without a test hook pays one call to an empty method the JIT removes.
 *
 * <p>An implementation is called from committing threads, background threads (segment
 * preparation, checkpoints) and the opening thread, concurrently, and must be thread-safe. It
 * must return normally: to simulate a crash it cuts the power of the file layer (the testkit's
 * {@code FaultyFileIO.powerLoss}) and returns. Every later I/O call then fails, so what is on
 * "disk" is exactly what was there at the crash point, while the code after it runs on as a
 * process would until it notices; an acknowledgement it still gives must therefore be backed by
 * what reached the disk before the point, which is what the crash matrix checks.
 */
@FunctionalInterface
public interface CrashHook {
    /** The hook that does nothing; the default of every database. */
    CrashHook NONE = point -> {
    };

    /** Called when the engine reaches {@code point}; see {@link CrashPoint} for each place. */
    void reached(CrashPoint point);
}

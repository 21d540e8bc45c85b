package dev.keel;

import java.util.EnumSet;
import java.util.Set;

/**
 * The states of a database from {@link KeelDb#open} to {@link KeelDb#close}. Opening runs
 * {@code INIT -> MIGRATE -> (RECOVER | READ_ONLY_RECOVERY | FORCE_RECOVERY) -> WARMUP -> READY}; the
 * recovery phase is chosen by {@link KeelOptions#recoveryMode()}. Closing runs
 * {@code SHUTTING_DOWN -> CLOSED}. Any phase before {@code CLOSED} may move to {@code FAILED}: a boot
 * that could not finish, or an open database whose storage failed (see {@link KeelDb#failure()}).
 * {@link #canMoveTo} is the complete list of transitions; the engine never makes any other one.
 *
 * <p>What each phase does:
 * <ul>
 *   <li>{@code INIT}: create the directory if needed, take the process lock, check the file system.</li>
 *   <li>{@code MIGRATE}: load and fully verify the newest checkpoint (format version, every
 *       checksum) and bring its stored schema up to the declared one.</li>
 *   <li>{@code RECOVER} / {@code READ_ONLY_RECOVERY} / {@code FORCE_RECOVERY}: read and replay the log
 *       after the checkpoint and repair what the mode allows (see {@link RecoveryMode}).</li>
 *   <li>{@code WARMUP}: store newly declared types, start the log writer and background work.</li>
 *   <li>{@code READY}: serving reads and writes (or reads only, after READ_ONLY recovery).</li>
 * </ul>
 *
 * <p>Probe semantics (Kubernetes): a database is <em>ready</em> only in {@code READY}; it is
 * <em>alive</em> in every phase except {@code FAILED} after it was ready, because a restart cannot fix
 * a boot that refuses corruption (it would only restart in a loop) but does fix a failed fsync
 * (reopening runs recovery). See {@link Health}.
 */
public enum BootPhase {
    INIT,
    MIGRATE,
    RECOVER,
    READ_ONLY_RECOVERY,
    FORCE_RECOVERY,
    WARMUP,
    READY,
    SHUTTING_DOWN,
    CLOSED,
    FAILED;

    /** True if the engine may move from this phase to {@code next}. */
    public boolean canMoveTo(BootPhase next) {
        return successors().contains(next);
    }

    /** Every phase this one may move to. */
    public Set<BootPhase> successors() {
        return switch (this) {
            case INIT -> EnumSet.of(MIGRATE, FAILED);
            case MIGRATE -> EnumSet.of(RECOVER, READ_ONLY_RECOVERY, FORCE_RECOVERY, FAILED);
            case RECOVER, READ_ONLY_RECOVERY, FORCE_RECOVERY -> EnumSet.of(WARMUP, FAILED);
            case WARMUP -> EnumSet.of(READY, FAILED);
            case READY -> EnumSet.of(SHUTTING_DOWN, FAILED);
            case SHUTTING_DOWN -> EnumSet.of(CLOSED, FAILED);
            case FAILED -> EnumSet.of(SHUTTING_DOWN);
            case CLOSED -> EnumSet.noneOf(BootPhase.class);
        };
    }

    /** True for the phases of opening, before {@code READY}. */
    public boolean isBooting() {
        return ordinal() < READY.ordinal();
    }

    /** The recovery phase {@link KeelDb#open} runs for {@code mode}. */
    public static BootPhase recoveryPhase(RecoveryMode mode) {
        return switch (mode) {
            case NORMAL -> RECOVER;
            case READ_ONLY -> READ_ONLY_RECOVERY;
            case FORCE -> FORCE_RECOVERY;
        };
    }
}

package dev.keel.testkit;

import dev.keel.fault.CrashHook;
import dev.keel.fault.CrashPoint;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.EnumMap;
import java.util.Map;
import java.util.Objects;

/**
 * Turns a {@link CrashPoint} into a simulated power loss: install it with
 * {@code KeelOptions.builder().fileIO(io).crashHook(injector)}, arm it with
 * {@link #crashAt(CrashPoint, long)}, and the {@code nth} time the engine reaches that point the
 * injector cuts the power of its {@link FaultyFileIO} with the options its {@link PowerLossChooser}
 * picks. From then on every I/O call of the database fails, so the files hold exactly what they
 * held at that point (minus unsynced data, as a real power loss leaves them). The test then
 * closes the dead database (the close throws), calls {@link FaultyFileIO#reset()} and reopens to
 * check recovery:
 *
 * <pre>{@code
 * FaultyFileIO io = new FaultyFileIO();
 * CrashInjector crash = new CrashInjector(io).crashAt(CrashPoint.CHECKPOINT_AFTER_RENAME, 1);
 * KeelDb db = KeelDb.open(dir, KeelOptions.builder().fileIO(io).crashHook(crash).build());
 * ... application code; it gets errors once crash.crashed() ...
 * try { db.close(); } catch (KeelException expected) { }
 * io.reset();
 * try (KeelDb reopened = KeelDb.open(dir, KeelOptions.defaults())) { ... check ... }
 * }</pre>
 *
 * <p>It also counts how often each point was reached ({@link #timesReached}), armed or not, which
 * tells a test whether its workload gets to a point at all.
 *
 * <p>Thread-safe: the engine calls {@link #reached} from several threads; the decision to crash
 * and the power loss happen under this object's monitor, so exactly one call fires.
 */
public final class CrashInjector implements CrashHook {

    /** Chooses how the power is lost at the crash point (which write is torn, and how). */
    @FunctionalInterface
    public interface PowerLossChooser {
        /**
         * @param point     where the crash happens
         * @param lastWrite the last write that reached a file before it, or null
         */
        PowerLossOptions choose(CrashPoint point, FaultyFileIO.LastWrite lastWrite);

        /** Every unsynced write and directory change is lost; nothing is torn. */
        static PowerLossChooser plain() {
            return (point, lastWrite) -> PowerLossOptions.defaults();
        }

        /**
         * At a {@code *_MID_*} point tears the last write at half its length with zeros; otherwise
         * {@link #plain()}.
         */
        static PowerLossChooser tearMidPoints() {
            return (point, lastWrite) -> {
                if (lastWrite == null || !point.name().contains("_MID_")) {
                    return PowerLossOptions.defaults();
                }
                return PowerLossOptions.defaults().tearLastWrite(lastWrite.file(), lastWrite.length() / 2);
            };
        }
    }

    private final FaultyFileIO io;
    private final Map<CrashPoint, Long> reached = new EnumMap<>(CrashPoint.class);
    private PowerLossChooser chooser = PowerLossChooser.tearMidPoints();
    private CrashPoint target;
    private long nth;
    private long matches;
    private CrashPoint crashedAt;
    private PowerLossOptions appliedOptions;

    /** An unarmed injector that cuts the power of {@code io} when it fires. */
    public CrashInjector(FaultyFileIO io) {
        this.io = Objects.requireNonNull(io, "io");
    }

    /**
     * Arms the injector: the {@code nth} time {@code point} is reached from now on, the power is
     * cut. Replaces an earlier arming; a crash that already happened stays recorded.
     */
    public synchronized CrashInjector crashAt(CrashPoint point, long nth) {
        if (nth < 1) {
            throw new IllegalArgumentException("nth must be at least 1, got " + nth);
        }
        this.target = Objects.requireNonNull(point, "point");
        this.nth = nth;
        this.matches = 0;
        return this;
    }

    /** How the power is lost when the injector fires; default {@link PowerLossChooser#tearMidPoints()}. */
    public synchronized CrashInjector powerLoss(PowerLossChooser value) {
        this.chooser = Objects.requireNonNull(value, "chooser");
        return this;
    }

    /** Disarms without forgetting counts or a crash that happened. */
    public synchronized void disarm() {
        target = null;
    }

    /** Forgets counts and the recorded crash, and disarms. */
    public synchronized void reset() {
        reached.clear();
        target = null;
        crashedAt = null;
        appliedOptions = null;
    }

    @Override
    public synchronized void reached(CrashPoint point) {
        reached.merge(point, 1L, Long::sum);
        if (point != target || ++matches < nth) {
            return;
        }
        target = null;
        if (io.isPoweredOff()) {
            return; // already crashed some other way; nothing left to cut
        }
        crashedAt = point;
        appliedOptions = chooser.choose(point, io.lastWrite());
        try {
            io.powerLoss(appliedOptions);
        } catch (IOException e) {
            throw new UncheckedIOException("the simulated power loss at " + point + " could not be applied", e);
        }
    }

    /** True once the injector has cut the power. */
    public synchronized boolean crashed() {
        return crashedAt != null;
    }

    /** Where the injector cut the power, or null. */
    public synchronized CrashPoint crashedAt() {
        return crashedAt;
    }

    /** The power-loss options applied at the crash, or null. */
    public synchronized PowerLossOptions appliedOptions() {
        return appliedOptions;
    }

    /** How often {@code point} was reached since creation or {@link #reset()}. */
    public synchronized long timesReached(CrashPoint point) {
        return reached.getOrDefault(point, 0L);
    }
}

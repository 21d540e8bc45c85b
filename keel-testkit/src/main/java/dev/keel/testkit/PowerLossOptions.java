package dev.keel.testkit;

import java.nio.file.Path;
import java.util.Objects;

/**
 * How {@link FaultyFileIO#powerLoss(PowerLossOptions)} damages the files. Immutable; start from
 * {@link #defaults()} and derive with the {@code with...}/{@code tear...} methods.
 *
 * <p>Defaults: every write not followed by a successful sync of its file is lost, no write is
 * torn, torn remainders (when a tear is chosen) are zeros, the garbage seed is 0, and creations,
 * deletions and renames not followed by a sync of their directory are undone.
 *
 * <p>A tear applies to one file and models the disk having written that file's unsynced writes
 * in order up to some byte and then lost power: the unsynced writes before the cut survive
 * whole, the write in which the cut falls keeps its first bytes and the rest of its range becomes
 * {@link TornFill zeros, garbage or the previous content}, and later writes are lost. All other
 * files lose all their unsynced writes.
 */
public final class PowerLossOptions {

    /** What the part of a torn write after its kept prefix contains after the power loss. */
    public enum TornFill {
        /** Zeros, as when the file size reached the disk but the data blocks did not. */
        ZEROS,
        /** Random bytes from the options' seed, as from a half-written sector. */
        GARBAGE,
        /** What the range held before the write; a torn append simply ends after the prefix. */
        PREVIOUS_CONTENT
    }

    private static final PowerLossOptions DEFAULTS =
            new PowerLossOptions(null, 0, false, TornFill.ZEROS, 0, true);

    private final Path tornFile;
    private final long keptBytes;
    private final boolean tearLastWriteOnly;
    private final TornFill tornFill;
    private final long seed;
    private final boolean forgetUnsyncedDirectoryOps;

    private PowerLossOptions(Path tornFile, long keptBytes, boolean tearLastWriteOnly,
            TornFill tornFill, long seed, boolean forgetUnsyncedDirectoryOps) {
        this.tornFile = tornFile;
        this.keptBytes = keptBytes;
        this.tearLastWriteOnly = tearLastWriteOnly;
        this.tornFill = tornFill;
        this.seed = seed;
        this.forgetUnsyncedDirectoryOps = forgetUnsyncedDirectoryOps;
    }

    /** All unsynced data and unsynced directory changes are lost; nothing is torn. */
    public static PowerLossOptions defaults() {
        return DEFAULTS;
    }

    /**
     * Tears the last unsynced write of {@code file}: the file's earlier unsynced writes survive,
     * the last keeps its first {@code keepBytes} bytes (at most all of them) and the rest of its
     * range is filled as {@link #withTornFill} says. Without unsynced writes the file just loses
     * its unsynced truncations.
     */
    public PowerLossOptions tearLastWrite(Path file, long keepBytes) {
        return new PowerLossOptions(requireFile(file), requireNotNegative(keepBytes), true,
                tornFill, seed, forgetUnsyncedDirectoryOps);
    }

    /**
     * Keeps the first {@code keptBytes} bytes of the unsynced writes of {@code file}, counted over
     * its unsynced writes in the order they were made; the write in which the count runs out is
     * torn there (filled as {@link #withTornFill} says) and later writes are lost.
     */
    public PowerLossOptions keepUnsyncedBytes(Path file, long keptBytes) {
        return new PowerLossOptions(requireFile(file), requireNotNegative(keptBytes), false,
                tornFill, seed, forgetUnsyncedDirectoryOps);
    }

    /** What the torn remainder contains; default {@link TornFill#ZEROS}. */
    public PowerLossOptions withTornFill(TornFill fill) {
        return new PowerLossOptions(tornFile, keptBytes, tearLastWriteOnly,
                Objects.requireNonNull(fill, "fill"), seed, forgetUnsyncedDirectoryOps);
    }

    /** Seed of the random garbage for {@link TornFill#GARBAGE}; default 0. */
    public PowerLossOptions withSeed(long garbageSeed) {
        return new PowerLossOptions(tornFile, keptBytes, tearLastWriteOnly, tornFill, garbageSeed,
                forgetUnsyncedDirectoryOps);
    }

    /**
     * Whether creations, deletions and renames not followed by a successful
     * {@code syncDirectory} of their directory are undone; default true. With false they all
     * survive (as on a file system that journals metadata in order).
     */
    public PowerLossOptions withForgetUnsyncedDirectoryOps(boolean forget) {
        return new PowerLossOptions(tornFile, keptBytes, tearLastWriteOnly, tornFill, seed, forget);
    }

    Path tornFile() {
        return tornFile;
    }

    long keptBytes() {
        return keptBytes;
    }

    boolean tearLastWriteOnly() {
        return tearLastWriteOnly;
    }

    TornFill tornFill() {
        return tornFill;
    }

    long seed() {
        return seed;
    }

    boolean forgetUnsyncedDirectoryOps() {
        return forgetUnsyncedDirectoryOps;
    }

    @Override
    public String toString() {
        return "PowerLossOptions[tornFile=" + tornFile + ", keptBytes=" + keptBytes
                + ", tearLastWriteOnly=" + tearLastWriteOnly + ", tornFill=" + tornFill
                + ", seed=" + seed + ", forgetUnsyncedDirectoryOps=" + forgetUnsyncedDirectoryOps
                + "]";
    }

    private static Path requireFile(Path file) {
        return Objects.requireNonNull(file, "file");
    }

    private static long requireNotNegative(long bytes) {
        if (bytes < 0) {
            throw new IllegalArgumentException("byte count must not be negative, got " + bytes);
        }
        return bytes;
    }
}

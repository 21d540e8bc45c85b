package dev.keel;

import dev.keel.fault.CrashHook;
import dev.keel.internal.io.FileIO;
import dev.keel.internal.entity.SystemTypes;
import dev.keel.internal.io.NioFileIO;
import dev.keel.internal.util.MonotonicClock;
import java.time.Duration;
import java.time.InstantSource;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * Options for {@link KeelDb#open}. Built with {@link #builder()}, which validates every value and
 * says what is wrong with a bad one. Immutable and thread-safe.
 */
public final class KeelOptions {
    /** Smallest allowed log segment: 64 KiB. */
    public static final long MIN_SEGMENT_SIZE = 64L * 1024;
    /** Largest allowed log segment: 1 GiB. */
    public static final long MAX_SEGMENT_SIZE = 1L << 30;

    private final Durability durability;
    private final Duration groupCommitWindow;
    private final long segmentSizeInBytes;
    private final long checkpointLogSizeInBytes;
    private final Duration checkpointInterval;
    private final RecoveryMode recoveryMode;
    private final int maxConflictRetries;
    private final List<EntityType> entityTypes;
    private final FileIO fileIO;
    private final CrashHook crashHook;
    private final BootBudgets bootBudgets;
    private final BootListener bootListener;
    private final InstantSource clock;
    private final long memoryBudgetInBytes;
    private final long lowDiskSpaceInBytes;
    private final boolean strictMigration;
    private final List<MigrationStep> migrations;
    private final Duration idempotencyKeyTtl;
    private final Duration idempotencyPurgeInterval;

    private KeelOptions(Builder b) {
        this.durability = b.durability;
        this.groupCommitWindow = b.groupCommitWindow;
        this.segmentSizeInBytes = b.segmentSizeInBytes;
        this.checkpointLogSizeInBytes = b.checkpointLogSizeInBytes;
        this.checkpointInterval = b.checkpointInterval;
        this.recoveryMode = b.recoveryMode;
        this.maxConflictRetries = b.maxConflictRetries;
        this.entityTypes = List.copyOf(b.entityTypes.values());
        this.fileIO = b.fileIO;
        this.crashHook = b.crashHook;
        this.bootBudgets = b.bootBudgets;
        this.bootListener = b.bootListener;
        this.clock = b.clock;
        this.memoryBudgetInBytes = b.memoryBudgetInBytes;
        this.lowDiskSpaceInBytes = b.lowDiskSpaceInBytes;
        this.strictMigration = b.strictMigration;
        this.migrations = List.copyOf(b.migrations.values());
        this.idempotencyKeyTtl = b.idempotencyKeyTtl;
        this.idempotencyPurgeInterval = b.idempotencyPurgeInterval;
    }

    /** Options with every default. */
    public static KeelOptions defaults() {
        return builder().build();
    }

    public static Builder builder() {
        return new Builder();
    }

    /** A builder starting from these options. */
    public Builder toBuilder() {
        Builder b = new Builder();
        b.durability = durability;
        b.groupCommitWindow = groupCommitWindow;
        b.segmentSizeInBytes = segmentSizeInBytes;
        b.checkpointLogSizeInBytes = checkpointLogSizeInBytes;
        b.checkpointInterval = checkpointInterval;
        b.recoveryMode = recoveryMode;
        b.maxConflictRetries = maxConflictRetries;
        entityTypes.forEach(t -> b.entityTypes.put(t.name(), t));
        b.fileIO = fileIO;
        b.crashHook = crashHook;
        b.bootBudgets = bootBudgets;
        b.bootListener = bootListener;
        b.clock = clock;
        b.memoryBudgetInBytes = memoryBudgetInBytes;
        b.lowDiskSpaceInBytes = lowDiskSpaceInBytes;
        b.strictMigration = strictMigration;
        migrations.forEach(m -> b.migrations.put(m.name(), m));
        b.idempotencyKeyTtl = idempotencyKeyTtl;
        b.idempotencyPurgeInterval = idempotencyPurgeInterval;
        return b;
    }

    /** When a commit is acknowledged. Default {@link Durability#SYNC}. */
    public Durability durability() {
        return durability;
    }

    /** In {@link Durability#GROUP} mode, the longest time between log syncs. Default 10 ms. */
    public Duration groupCommitWindow() {
        return groupCommitWindow;
    }

    /** Size each log segment is preallocated to; the log rotates when one is full. Default 64 MiB. */
    public long segmentSizeInBytes() {
        return segmentSizeInBytes;
    }

    /** Log bytes written since the last checkpoint that trigger a new one. Default 256 MiB. */
    public long checkpointLogSizeInBytes() {
        return checkpointLogSizeInBytes;
    }

    /** Longest time between checkpoints while there are new commits. Default 10 minutes. */
    public Duration checkpointInterval() {
        return checkpointInterval;
    }

    /** How open treats damage. Default {@link RecoveryMode#NORMAL}. */
    public RecoveryMode recoveryMode() {
        return recoveryMode;
    }

    /** How often {@link KeelDb#write} retries a transaction after a conflict. Default 10. */
    public int maxConflictRetries() {
        return maxConflictRetries;
    }

    /** Declared entity types, in declaration order. Default none (the stored schema is used). */
    public List<EntityType> entityTypes() {
        return entityTypes;
    }

    /** The storage layer. Default the real file system; the testkit supplies fault-injecting ones. */
    public FileIO fileIO() {
        return fileIO;
    }

    /** Told of every {@link dev.keel.fault.CrashPoint} the engine passes. Default {@link CrashHook#NONE}. */
    public CrashHook crashHook() {
        return crashHook;
    }

    /** Time budgets of the phases of opening. Default {@link BootBudgets#defaults()}. */
    public BootBudgets bootBudgets() {
        return bootBudgets;
    }

    /** Told of the progress of opening. Default {@link BootListener#NONE}. */
    public BootListener bootListener() {
        return bootListener;
    }

    /**
     * The clock durations are measured with (boot budgets, uptime, checkpoint age), and that dates
     * idempotency records ({@link IdempotentResult#createdAt()}, expiry). Default: a monotonic clock
     * that never jumps when the system time is set (it starts from the system time when the JVM
     * first uses it).
     */
    public InstantSource clock() {
        return clock;
    }

    /**
     * Heap the database may use before {@link KeelDb#health()} reports memory as degraded. Default
     * 0, meaning 85% of the JVM's maximum heap.
     */
    public long memoryBudgetInBytes() {
        return memoryBudgetInBytes;
    }

    /**
     * Free disk space below which {@link KeelDb#health()} reports the log as degraded (writes still
     * work; they fail only when the disk is actually full). Default 0, meaning four log segments.
     */
    public long lowDiskSpaceInBytes() {
        return lowDiskSpaceInBytes;
    }

    /**
     * Whether a log record written under an older schema version that cannot be converted to the
     * current one (an unknown schema version, bytes that do not decode, a value that does not widen
     * exactly) fails the open with a {@link MigrationException} naming file, offset, record and
     * reason. Default false: its whole transaction is skipped, its bytes kept under
     * {@code quarantine/} and reported in the recovery report as {@code RECORD_NOT_APPLIED}.
     */
    public boolean strictMigration() {
        return strictMigration;
    }

    /** Declared user-defined migration steps, in declaration order. Default none. */
    public List<MigrationStep> migrations() {
        return migrations;
    }

    /**
     * How long {@link KeelDb#writeIdempotent} remembers a key after its first run committed: a retry
     * within this time replays the stored response; after it the key is treated as new (and its
     * record is purged). Each record keeps the expiry computed when it was written. Default 24 hours.
     */
    public Duration idempotencyKeyTtl() {
        return idempotencyKeyTtl;
    }

    /**
     * How often the background purge deletes expired idempotency records (see
     * {@link KeelDb#purgeExpiredIdempotencyKeys()}). Default 1 minute.
     */
    public Duration idempotencyPurgeInterval() {
        return idempotencyPurgeInterval;
    }

    /** Builds {@link KeelOptions}; each setter validates its argument. Not thread-safe. */
    public static final class Builder {
        private Durability durability = Durability.SYNC;
        private Duration groupCommitWindow = Duration.ofMillis(10);
        private long segmentSizeInBytes = 64L * 1024 * 1024;
        private long checkpointLogSizeInBytes = 256L * 1024 * 1024;
        private Duration checkpointInterval = Duration.ofMinutes(10);
        private RecoveryMode recoveryMode = RecoveryMode.NORMAL;
        private int maxConflictRetries = 10;
        private final Map<String, EntityType> entityTypes = new LinkedHashMap<>();
        private FileIO fileIO = NioFileIO.INSTANCE;
        private CrashHook crashHook = CrashHook.NONE;
        private BootBudgets bootBudgets = BootBudgets.defaults();
        private BootListener bootListener = BootListener.NONE;
        private InstantSource clock = MonotonicClock.INSTANCE;
        private long memoryBudgetInBytes;
        private long lowDiskSpaceInBytes;
        private boolean strictMigration;
        private final Map<String, MigrationStep> migrations = new LinkedHashMap<>();
        private Duration idempotencyKeyTtl = Duration.ofHours(24);
        private Duration idempotencyPurgeInterval = Duration.ofMinutes(1);

        /** Longer than zero. See {@link KeelOptions#idempotencyKeyTtl()}. Default 24 hours. */
        public Builder idempotencyKeyTtl(Duration value) {
            Objects.requireNonNull(value, "idempotencyKeyTtl");
            if (value.isNegative() || value.isZero()) {
                throw new IllegalArgumentException("idempotencyKeyTtl must be longer than zero, was " + value);
            }
            this.idempotencyKeyTtl = value;
            return this;
        }

        /** Longer than zero. See {@link KeelOptions#idempotencyPurgeInterval()}. Default 1 minute. */
        public Builder idempotencyPurgeInterval(Duration value) {
            Objects.requireNonNull(value, "idempotencyPurgeInterval");
            if (value.isNegative() || value.isZero()) {
                throw new IllegalArgumentException("idempotencyPurgeInterval must be longer than zero, was " + value);
            }
            this.idempotencyPurgeInterval = value;
            return this;
        }

        /** See {@link KeelOptions#strictMigration()}. Default false. */
        public Builder strictMigration(boolean value) {
            this.strictMigration = value;
            return this;
        }

        /**
         * Declares a user-defined migration step (see {@link MigrationStep}); its type must be a
         * declared entity type, and no two steps may have the same name. Steps run in declaration order.
         */
        public Builder migration(MigrationStep step) {
            Objects.requireNonNull(step, "step");
            if (migrations.putIfAbsent(step.name(), step) != null) {
                throw new IllegalArgumentException("migration step " + step.name() + " is declared twice");
            }
            return this;
        }

        private Builder() {
        }

        /** See {@link KeelOptions#bootBudgets()}. */
        public Builder bootBudgets(BootBudgets value) {
            this.bootBudgets = Objects.requireNonNull(value, "bootBudgets");
            return this;
        }

        /** See {@link KeelOptions#bootListener()}. */
        public Builder bootListener(BootListener value) {
            this.bootListener = Objects.requireNonNull(value, "bootListener");
            return this;
        }

        /** See {@link KeelOptions#clock()}; for tests. */
        public Builder clock(InstantSource value) {
            this.clock = Objects.requireNonNull(value, "clock");
            return this;
        }

        /** At least 1 MiB, or 0 for the default. See {@link KeelOptions#memoryBudgetInBytes()}. */
        public Builder memoryBudgetInBytes(long value) {
            if (value != 0 && value < (1 << 20)) {
                throw new IllegalArgumentException("memoryBudgetInBytes must be 0 (default) or at least 1 MiB, was "
                        + value);
            }
            this.memoryBudgetInBytes = value;
            return this;
        }

        /** Not negative; 0 for the default. See {@link KeelOptions#lowDiskSpaceInBytes()}. */
        public Builder lowDiskSpaceInBytes(long value) {
            if (value < 0) {
                throw new IllegalArgumentException("lowDiskSpaceInBytes must not be negative, was " + value);
            }
            this.lowDiskSpaceInBytes = value;
            return this;
        }

        public Builder durability(Durability value) {
            this.durability = Objects.requireNonNull(value, "durability");
            return this;
        }

        /** Between 1 ms and 10 s. */
        public Builder groupCommitWindow(Duration value) {
            Objects.requireNonNull(value, "groupCommitWindow");
            if (value.compareTo(Duration.ofMillis(1)) < 0 || value.compareTo(Duration.ofSeconds(10)) > 0) {
                throw new IllegalArgumentException("groupCommitWindow must be between 1 ms and 10 s, was " + value);
            }
            this.groupCommitWindow = value;
            return this;
        }

        /** Between {@link #MIN_SEGMENT_SIZE} and {@link #MAX_SEGMENT_SIZE}. */
        public Builder segmentSizeInBytes(long value) {
            if (value < MIN_SEGMENT_SIZE || value > MAX_SEGMENT_SIZE) {
                throw new IllegalArgumentException("segmentSizeInBytes must be between " + MIN_SEGMENT_SIZE
                        + " and " + MAX_SEGMENT_SIZE + ", was " + value);
            }
            this.segmentSizeInBytes = value;
            return this;
        }

        /** At least 64 KiB. */
        public Builder checkpointLogSizeInBytes(long value) {
            if (value < MIN_SEGMENT_SIZE) {
                throw new IllegalArgumentException("checkpointLogSizeInBytes must be at least " + MIN_SEGMENT_SIZE
                        + ", was " + value);
            }
            this.checkpointLogSizeInBytes = value;
            return this;
        }

        /** At least 1 second. */
        public Builder checkpointInterval(Duration value) {
            Objects.requireNonNull(value, "checkpointInterval");
            if (value.compareTo(Duration.ofSeconds(1)) < 0) {
                throw new IllegalArgumentException("checkpointInterval must be at least 1 s, was " + value);
            }
            this.checkpointInterval = value;
            return this;
        }

        public Builder recoveryMode(RecoveryMode value) {
            this.recoveryMode = Objects.requireNonNull(value, "recoveryMode");
            return this;
        }

        /** Between 0 and 1000. */
        public Builder maxConflictRetries(int value) {
            if (value < 0 || value > 1000) {
                throw new IllegalArgumentException("maxConflictRetries must be between 0 and 1000, was " + value);
            }
            this.maxConflictRetries = value;
            return this;
        }

        /** Declares an entity type; declaring two types with the same name is an error. */
        public Builder entityType(EntityType type) {
            Objects.requireNonNull(type, "entityType");
            if (entityTypes.putIfAbsent(type.name(), type) != null) {
                throw new IllegalArgumentException("entity type " + type.name() + " is declared twice");
            }
            return this;
        }

        /** Declares the entity type derived from a record class (see {@link EntityType#of}). */
        public Builder entityType(Class<? extends Record> recordClass) {
            return entityType(EntityType.of(recordClass));
        }

        public Builder entityTypes(EntityType... types) {
            for (EntityType t : types) {
                entityType(t);
            }
            return this;
        }

        /** Replaces the storage layer; for tests (see keel-testkit). */
        public Builder fileIO(FileIO value) {
            this.fileIO = Objects.requireNonNull(value, "fileIO");
            return this;
        }

        /**
         * Sets the hook told of every crash point; for tests only (see keel-testkit's
         * {@code CrashInjector}). Default {@link CrashHook#NONE}.
         */
        public Builder crashHook(CrashHook value) {
            this.crashHook = Objects.requireNonNull(value, "crashHook");
            return this;
        }

        public KeelOptions build() {
            List<String> problems = new ArrayList<>();
            for (EntityType t : entityTypes.values()) {
                for (Field f : t.fields()) {
                    if (f.target() != null && SystemTypes.isSystem(f.target())) {
                        problems.add(t.name() + "." + f.name() + " references the system type " + f.target()
                                + ", which user types cannot refer to");
                    } else if (f.target() != null && !entityTypes.containsKey(f.target())) {
                        problems.add(t.name() + "." + f.name() + " references undeclared type " + f.target());
                    }
                }
            }
            for (MigrationStep m : migrations.values()) {
                if (!entityTypes.containsKey(m.type())) {
                    problems.add("migration step " + m.name() + " is over type " + m.type() + ", which is not declared");
                }
            }
            if (!problems.isEmpty()) {
                throw new IllegalArgumentException("invalid schema: " + String.join("; ", problems)
                        + " (declare every referenced type)");
            }
            return new KeelOptions(this);
        }
    }
}

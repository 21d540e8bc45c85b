package dev.keel.server.ops;

import dev.keel.BootMetrics;
import dev.keel.BootPhase;
import dev.keel.BootProgress;
import dev.keel.DatabaseStatistics;
import dev.keel.EntityType;
import dev.keel.Health;
import dev.keel.Index;
import dev.keel.KeelDb;
import dev.keel.server.DatabaseHolder;
import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.FunctionTimer;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.MultiGauge;
import io.micrometer.core.instrument.Tags;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.function.ToDoubleFunction;
import java.util.function.ToLongFunction;

/**
 * The database's figures as Prometheus metrics ({@code keel_*}), read from the public API only:
 * {@link KeelDb#statistics()}, {@link KeelDb#bootMetrics()}, {@link KeelDb#health()},
 * {@link KeelDb#schema()} and the boot's {@link BootProgress}.
 *
 * <p>Reading: {@link #refresh()} takes one sample (one health computation, one statistics snapshot)
 * through {@link DatabaseHolder#database()}, which never blocks; the meters read that sample. The
 * {@code /metrics} endpoint refreshes before each scrape. Before the database is open the counters
 * read 0 and the gauges NaN (unknown), except the boot's progress and phase. Counters restart from
 * 0 when the database is reopened (a schema change), which Prometheus' {@code rate()} handles.
 *
 * <p>Names (Prometheus form): counters {@code keel_commits_total}, {@code keel_log_sync_seconds_count}
 * and {@code _sum} (log syncs and their time), {@code keel_log_written_bytes_total},
 * {@code keel_log_synced_bytes_total}, {@code keel_group_commit_batches_total},
 * {@code keel_group_commit_transactions_total} (their ratio is the mean batch size),
 * {@code keel_checkpoints_total}; gauges {@code keel_log_sync_longest_seconds},
 * {@code keel_group_commit_largest}, {@code keel_checkpoint_last_duration_seconds},
 * {@code keel_checkpoint_age_seconds}, {@code keel_log_since_checkpoint_bytes},
 * {@code keel_recovery_records_replayed}, {@code keel_recovery_read_bytes},
 * {@code keel_recovery_checkpoint_loaded_bytes}, {@code keel_recovery_tails_repaired},
 * {@code keel_recovery_records_quarantined}, {@code keel_recovery_transactions_rolled_back},
 * {@code keel_recovery_replay_bytes_per_second}, {@code keel_boot_phase_duration_seconds{phase}},
 * {@code keel_boot_percent}, {@code keel_boot_records_replayed}, {@code keel_boot_records_to_replay},
 * {@code keel_boot_read_bytes}, {@code keel_boot_to_read_bytes}, {@code keel_phase{phase}} (1 for the
 * current phase, 0 for the others), {@code keel_ready}, {@code keel_live},
 * {@code keel_health_status{component}} (0 healthy, 1 degraded, 2 unhealthy, NaN not reported;
 * component {@code overall} is the worst), {@code keel_uptime_seconds} and
 * {@code keel_indexes{type,unique}} (indexes per entity type).
 */
public final class DatabaseMetrics {
    /** The health components reported as {@code keel_health_status}. */
    static final List<String> COMPONENTS = List.of("overall", "storage", "log", "checkpoint", "memory", "filesystem",
            "boot");

    private final DatabaseHolder holder;
    private final MultiGauge indexes;
    private volatile Sample sample;
    /** The database the last sample read, and the counters of databases it replaced (schema reopens). */
    private KeelDb sampled;
    private DatabaseStatistics lastOfSampled;
    private DatabaseStatistics carried = ZERO;
    private static final DatabaseStatistics ZERO = new DatabaseStatistics(0, 0, Duration.ZERO, Duration.ZERO, 0, 0,
            0, 0, 0, 0, null, null, null, 0);

    /** One reading of everything the meters show. */
    private record Sample(BootPhase phase, BootProgress progress, Health health, boolean shuttingDown,
            DatabaseStatistics stats, BootMetrics boot, List<EntityType> schema) {
    }

    /** Registers the meters on {@code registry}; they read {@code holder}'s database. */
    public DatabaseMetrics(DatabaseHolder holder, MeterRegistry registry) {
        this.holder = holder;
        refresh();
        counter(registry, "keel.commits", null, "transactions committed and acknowledged", DatabaseStatistics::commits);
        FunctionTimer.builder("keel.log.sync", this, m -> (long) m.stat(DatabaseStatistics::logSyncs),
                        m -> m.duration(s -> s.logSyncTime()), TimeUnit.SECONDS)
                .description("log file syncs (fsync) and the time spent in them").register(registry);
        gauge(registry, "keel.log.sync.longest", "seconds", "the longest log sync since open",
                m -> m.seconds(DatabaseStatistics::longestLogSync));
        counter(registry, "keel.log.written", "bytes", "log bytes written to the operating system",
                DatabaseStatistics::logBytesWritten);
        counter(registry, "keel.log.synced", "bytes", "log bytes on stable storage", DatabaseStatistics::logBytesSynced);
        counter(registry, "keel.group.commit.batches", null, "log syncs that made commits durable",
                DatabaseStatistics::groupCommitBatches);
        counter(registry, "keel.group.commit.transactions", null, "commits made durable by those syncs",
                DatabaseStatistics::groupCommitTransactions);
        gauge(registry, "keel.group.commit.largest", null, "most commits made durable by one sync",
                m -> m.statGauge(DatabaseStatistics::largestGroupCommit));
        counter(registry, "keel.checkpoints", null, "checkpoints written and installed", DatabaseStatistics::checkpoints);
        gauge(registry, "keel.checkpoint.last.duration", "seconds", "how long the last checkpoint took",
                m -> m.seconds(DatabaseStatistics::lastCheckpointDuration));
        gauge(registry, "keel.checkpoint.age", "seconds", "time since the last checkpoint (or the open)",
                m -> m.seconds(DatabaseStatistics::checkpointAge));
        gauge(registry, "keel.log.since.checkpoint", "bytes", "log bytes the next recovery would replay",
                m -> m.statGauge(DatabaseStatistics::logBytesSinceCheckpoint));
        bootGauge(registry, "keel.recovery.records.replayed", null, "log records replayed at open",
                BootMetrics::recordsReplayed);
        bootGauge(registry, "keel.recovery.read", "bytes", "checkpoint and log bytes read at open",
                BootMetrics::bytesRead);
        bootGauge(registry, "keel.recovery.checkpoint.loaded", "bytes", "checkpoint bytes loaded at open",
                BootMetrics::checkpointBytesLoaded);
        bootGauge(registry, "keel.recovery.tails.repaired", null, "torn log tails cut at open",
                BootMetrics::tailsRepaired);
        bootGauge(registry, "keel.recovery.records.quarantined", null, "damaged regions or records quarantined at open",
                BootMetrics::recordsQuarantined);
        bootGauge(registry, "keel.recovery.transactions.rolled.back", null, "incomplete transactions discarded at open",
                BootMetrics::transactionsRolledBack);
        gauge(registry, "keel.recovery.replay.bytes.per.second", null, "measured log replay rate at open",
                m -> m.sample.boot() == null ? Double.NaN : m.sample.boot().replayBytesPerSecond());
        for (BootPhase p : BootPhase.values()) {
            if (p.isBooting()) {
                Gauge.builder("keel.boot.phase.duration", this, m -> m.phaseSeconds(p)).tag("phase", p.name())
                        .baseUnit("seconds").description("time the last open spent in each phase").register(registry);
            }
            Gauge.builder("keel.phase", this, m -> m.sample.phase() == p ? 1 : 0).tag("phase", p.name())
                    .description("1 for the current phase of the database, 0 for the others").register(registry);
        }
        gauge(registry, "keel.boot.percent", null, "progress of opening, 0 to 100", m -> m.sample.progress().percent());
        gauge(registry, "keel.boot.records.replayed", null, "log records replayed so far while opening",
                m -> m.sample.progress().recordsDone());
        gauge(registry, "keel.boot.records.to.replay", null, "log records to replay while opening (-1 until known)",
                m -> m.sample.progress().recordsTotal());
        gauge(registry, "keel.boot.read", "bytes", "checkpoint and log bytes read so far while opening",
                m -> m.sample.progress().bytesDone());
        gauge(registry, "keel.boot.to.read", "bytes", "checkpoint and log bytes to read while opening (-1 until known)",
                m -> m.sample.progress().bytesTotal());
        gauge(registry, "keel.ready", null, "1 when the readiness probe answers 200",
                m -> m.sample.health().ready() && !m.sample.shuttingDown() ? 1 : 0);
        gauge(registry, "keel.live", null, "1 when the liveness probe answers 200", m -> m.sample.health().live() ? 1 : 0);
        gauge(registry, "keel.uptime", "seconds", "time since the database began opening",
                m -> m.sample.health().uptime().toMillis() / 1000.0);
        for (String c : COMPONENTS) {
            Gauge.builder("keel.health.status", this, m -> m.componentStatus(c)).tag("component", c)
                    .description("0 healthy, 1 degraded, 2 unhealthy, NaN not reported").register(registry);
        }
        this.indexes = MultiGauge.builder("keel.indexes").description("secondary indexes per entity type")
                .register(registry);
        updateIndexes();
    }

    /**
     * Takes a new sample of the database (never blocks); call before reading the meters. Counters stay
     * monotonic across a schema change, which replaces the database instance (whose own counters start
     * at zero): the last sample of the replaced instance is carried over. Work it did after that sample
     * and before it closed is not counted.
     */
    public synchronized void refresh() {
        Optional<KeelDb> db = holder.database();
        DatabaseStatistics stats = null;
        BootMetrics boot = null;
        List<EntityType> schema = List.of();
        if (db.isPresent()) {
            try {
                stats = db.get().statistics();
                if (sampled != db.get()) {
                    if (lastOfSampled != null) {
                        carried = plus(carried, lastOfSampled);
                    }
                    sampled = db.get();
                }
                lastOfSampled = stats;
                stats = plus(carried, stats);
                boot = db.get().bootMetrics();
                schema = db.get().schema();
            } catch (RuntimeException e) {
                // A database closed or replaced meanwhile: report what is known.
            }
        }
        sample = new Sample(holder.phase(), holder.progress(), holder.health(), holder.shuttingDown(), stats, boot,
                schema);
        if (indexes != null) {
            updateIndexes();
        }
    }

    /** Counters of {@code a} and {@code b} added; the gauges are {@code b}'s. */
    private static DatabaseStatistics plus(DatabaseStatistics a, DatabaseStatistics b) {
        return new DatabaseStatistics(a.commits() + b.commits(), a.logSyncs() + b.logSyncs(),
                a.logSyncTime().plus(b.logSyncTime()), b.longestLogSync(), a.logBytesWritten() + b.logBytesWritten(),
                a.logBytesSynced() + b.logBytesSynced(), a.groupCommitBatches() + b.groupCommitBatches(),
                a.groupCommitTransactions() + b.groupCommitTransactions(), b.largestGroupCommit(),
                a.checkpoints() + b.checkpoints(), b.lastCheckpointDuration(), b.lastCheckpoint(), b.checkpointAge(),
                b.logBytesSinceCheckpoint());
    }

    private void updateIndexes() {
        List<MultiGauge.Row<?>> rows = new ArrayList<>();
        for (EntityType t : sample.schema()) {
            long unique = t.indexes().stream().filter(Index::isUnique).count();
            long plain = t.indexes().size() - unique;
            rows.add(MultiGauge.Row.of(Tags.of("type", t.name(), "unique", "true"), unique));
            rows.add(MultiGauge.Row.of(Tags.of("type", t.name(), "unique", "false"), plain));
        }
        indexes.register(rows, true);
    }

    private void counter(MeterRegistry r, String name, String unit, String description,
            ToLongFunction<DatabaseStatistics> f) {
        FunctionCounter.builder(name, this, m -> m.stat(f)).baseUnit(unit).description(description).register(r);
    }

    private void gauge(MeterRegistry r, String name, String unit, String description,
            ToDoubleFunction<DatabaseMetrics> f) {
        Gauge.builder(name, this, f).baseUnit(unit).description(description).register(r);
    }

    private void bootGauge(MeterRegistry r, String name, String unit, String description, ToLongFunction<BootMetrics> f) {
        gauge(r, name, unit, description, m -> m.sample.boot() == null ? Double.NaN : f.applyAsLong(m.sample.boot()));
    }

    private double stat(ToLongFunction<DatabaseStatistics> f) {
        DatabaseStatistics s = sample.stats();
        return s == null ? 0 : f.applyAsLong(s);
    }

    private double statGauge(ToLongFunction<DatabaseStatistics> f) {
        DatabaseStatistics s = sample.stats();
        return s == null ? Double.NaN : f.applyAsLong(s);
    }

    private double duration(java.util.function.Function<DatabaseStatistics, Duration> f) {
        DatabaseStatistics s = sample.stats();
        Duration d = s == null ? null : f.apply(s);
        return d == null ? 0 : d.toNanos() / 1e9;
    }

    private double seconds(java.util.function.Function<DatabaseStatistics, Duration> f) {
        DatabaseStatistics s = sample.stats();
        Duration d = s == null ? null : f.apply(s);
        return d == null ? Double.NaN : d.toNanos() / 1e9;
    }

    private double phaseSeconds(BootPhase p) {
        BootMetrics b = sample.boot();
        if (b == null) {
            return Double.NaN;
        }
        Duration d = b.phaseDurations().get(p);
        return d == null ? 0 : d.toNanos() / 1e9;
    }

    private double componentStatus(String name) {
        Health h = sample.health();
        Optional<Health.Status> s = name.equals("overall") ? Optional.of(h.status())
                : h.component(name).map(Health.Component::status);
        return s.map(DatabaseMetrics::statusValue).orElse(Double.NaN);
    }

    /** The value of a status in {@code keel_health_status}: stable, not the enum's ordinal. */
    static double statusValue(Health.Status status) {
        return switch (status) {
            case HEALTHY -> 0;
            case DEGRADED -> 1;
            case UNHEALTHY -> 2;
        };
    }
}

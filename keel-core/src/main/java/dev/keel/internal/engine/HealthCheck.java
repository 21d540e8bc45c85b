package dev.keel.internal.engine;

import dev.keel.BootPhase;
import dev.keel.Health;
import dev.keel.Health.Component;
import dev.keel.Health.Status;
import dev.keel.internal.wal.WalWriter;
import java.io.IOException;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Computes {@link Health} from the engine's state. Every figure is read on the spot (no background
 * sampling), so a health call costs one free-space query and a few volatile reads.
 *
 * <p>Thresholds: a log sync slower than {@link #SLOW_SYNC} makes the log DEGRADED; free space below
 * {@code lowDiskSpaceInBytes} (default four segments) too; a projected recovery time over the
 * recovery budget makes the checkpoint component DEGRADED (the recovery-time bound should prevent
 * it, so seeing it means checkpoints cannot keep up); heap used above the memory budget makes
 * memory DEGRADED.
 */
final class HealthCheck {
    static final Duration SLOW_SYNC = Duration.ofSeconds(1);

    private HealthCheck() {
    }

    /** Health of a database that is still opening or failed to open (no engine yet). */
    static Health booting(BootSequence boot) {
        var p = boot.progress();
        Map<String, Object> values = new LinkedHashMap<>();
        values.put("phase", p.phase().name());
        values.put("percent", p.percent());
        String detail;
        if (p.phase() == BootPhase.FAILED) {
            detail = "opening failed: " + p.failure();
        } else {
            detail = "opening: phase " + p.phase() + ", " + Math.round(p.percent()) + "% done"
                    + (p.estimatedTimeToReady() != null ? ", about " + p.estimatedTimeToReady().toSeconds()
                            + " s to go" : "");
        }
        Component c = new Component("boot", Status.UNHEALTHY, detail, values);
        return new Health(Status.UNHEALTHY, p.phase(), true, false, p.elapsed(), List.of(c));
    }

    static Health of(Engine e) {
        BootSequence boot = e.boot();
        BootPhase phase = boot.phase();
        List<Component> components = new ArrayList<>();
        components.add(storage(e, phase));
        components.add(log(e));
        components.add(checkpoint(e));
        components.add(memory(e));
        components.add(e.fileSystemCheck());
        Status status = Status.HEALTHY;
        for (Component c : components) {
            status = status.worst(c.status());
        }
        boolean failedAfterReady = e.failure() != null && boot.readyAt() != null;
        boolean live = !failedAfterReady;
        boolean ready = phase == BootPhase.READY && status != Status.UNHEALTHY;
        Duration uptime = Duration.between(e.openedAt(), boot.clock().instant());
        return new Health(status, phase, live, ready, uptime, components);
    }

    private static Component storage(Engine e, BootPhase phase) {
        Map<String, Object> values = new LinkedHashMap<>();
        values.put("phase", phase.name());
        values.put("lastLsn", e.publishedLsn());
        Throwable failure = e.failure();
        if (failure != null) {
            values.put("failure", String.valueOf(failure));
            return new Component("storage", Status.UNHEALTHY, "FAILED: " + failure + "; writes are refused until the"
                    + " database is reopened (reopening recovers every acknowledged commit)", values);
        }
        if (phase != BootPhase.READY) {
            return new Component("storage", Status.UNHEALTHY, "not open: phase " + phase, values);
        }
        values.put("readOnly", e.isReadOnly());
        return new Component("storage", Status.HEALTHY, e.isReadOnly() ? "open read-only (READ_ONLY recovery mode)"
                : "open for reads and writes", values);
    }

    private static Component log(Engine e) {
        Map<String, Object> values = new LinkedHashMap<>();
        WalWriter wal = e.wal();
        long free = -1;
        try {
            free = e.options().fileIO().usableSpace(e.directory());
        } catch (IOException | RuntimeException ex) {
            values.put("freeBytesError", String.valueOf(ex.getMessage()));
        }
        values.put("freeBytes", free);
        if (wal == null) {
            values.put("writable", false);
            return new Component("log", Status.HEALTHY, "read-only: the log is not written", values);
        }
        WalWriter.SyncStats sync = wal.syncStats();
        values.put("syncs", sync.syncs());
        values.put("lastSyncMillis", sync.lastNanos() / 1e6);
        values.put("maxSyncMillis", sync.maxNanos() / 1e6);
        values.put("meanSyncMillis", sync.syncs() == 0 ? 0.0 : sync.totalNanos() / 1e6 / sync.syncs());
        Throwable failure = e.failure();
        boolean writable = failure == null && !e.isClosing();
        values.put("writable", writable);
        if (!writable) {
            return new Component("log", Status.UNHEALTHY, failure != null ? "not writable: the database failed ("
                    + failure.getMessage() + ")" : "not writable: closed", values);
        }
        long low = e.options().lowDiskSpaceInBytes() > 0 ? e.options().lowDiskSpaceInBytes()
                : 4 * e.options().segmentSizeInBytes();
        values.put("lowDiskSpaceBytes", low);
        List<String> problems = new ArrayList<>();
        if (free >= 0 && free < low) {
            problems.add("only " + free + " bytes free on the log's disk (warning below " + low + "); free space"
                    + " before writes fail with a full disk");
        }
        long running = wal.runningSyncNanos();
        values.put("runningSyncMillis", running / 1e6);
        if (running > SLOW_SYNC.toNanos()) {
            problems.add("a log sync has been running for " + running / 1_000_000 + " ms (a stalled disk?); commits"
                    + " wait for it");
        } else if (sync.lastNanos() > SLOW_SYNC.toNanos()) {
            problems.add("the last log sync took " + sync.lastNanos() / 1_000_000 + " ms (slow disk or overloaded"
                    + " storage); commits wait for it");
        }
        return problems.isEmpty()
                ? new Component("log", Status.HEALTHY, "writable; " + free + " bytes free; last sync "
                        + sync.lastNanos() / 1_000_000 + " ms", values)
                : new Component("log", Status.DEGRADED, String.join("; ", problems), values);
    }

    private static Component checkpoint(Engine e) {
        Map<String, Object> values = new LinkedHashMap<>();
        Checkpointer cp = e.checkpointer();
        if (cp == null) {
            return new Component("checkpoint", Status.HEALTHY, "read-only: no checkpoints are written", values);
        }
        Instant now = e.boot().clock().instant();
        Instant last = cp.lastCheckpointAt();
        Duration age = Duration.between(last != null ? last : e.openedAt(), now);
        long logBytes = Math.max(0, cp.logBytesSinceCheckpoint());
        RecoveryTimeBound bound = cp.bound();
        Duration projected = bound.projected(logBytes);
        values.put("lastCheckpointLsn", cp.lastCheckpointLsn());
        values.put("ageSeconds", age.toMillis() / 1000.0);
        values.put("writtenSinceOpen", last != null);
        values.put("logBytesSinceCheckpoint", logBytes);
        values.put("replayBytesPerSecond", bound.bytesPerSecond());
        values.put("replayRateMeasured", bound.measured());
        values.put("projectedRecoverySeconds", projected.toMillis() / 1000.0);
        if (bound.budget() != null) {
            values.put("recoverBudgetSeconds", bound.budget().toMillis() / 1000.0);
        }
        String ageText = last != null ? "last checkpoint " + age.toSeconds() + " s ago"
                : "no checkpoint written since open " + age.toSeconds() + " s ago";
        String text = ageText + "; " + logBytes + " log bytes since, recovery would take about "
                + projected.toMillis() + " ms";
        if (bound.budget() != null && projected.compareTo(bound.budget()) > 0) {
            return new Component("checkpoint", Status.DEGRADED, text + ", over the recovery budget of "
                    + bound.budget().toMillis() + " ms: checkpoints are not keeping up (a restart now could fail its"
                    + " boot budget); call checkpoint() or check the log for checkpoint errors", values);
        }
        return new Component("checkpoint", Status.HEALTHY, text, values);
    }

    private static Component memory(Engine e) {
        Runtime rt = Runtime.getRuntime();
        long used = rt.totalMemory() - rt.freeMemory();
        long budget = e.options().memoryBudgetInBytes() > 0 ? e.options().memoryBudgetInBytes()
                : (long) (rt.maxMemory() * 0.85);
        Map<String, Object> values = new LinkedHashMap<>();
        values.put("heapUsedBytes", used);
        values.put("heapMaxBytes", rt.maxMemory());
        values.put("budgetBytes", budget);
        if (used > budget) {
            return new Component("memory", Status.DEGRADED, "heap used " + used + " bytes, over the budget of " + budget
                    + " bytes; the store keeps entities in memory: give the JVM more heap (-Xmx) or raise"
                    + " KeelOptions.memoryBudgetInBytes", values);
        }
        return new Component("memory", Status.HEALTHY, "heap used " + used + " of " + budget + " bytes budget", values);
    }
}

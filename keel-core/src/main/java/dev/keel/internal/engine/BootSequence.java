package dev.keel.internal.engine;

import dev.keel.BootBudgetExceededException;
import dev.keel.BootBudgets;
import dev.keel.BootListener;
import dev.keel.BootMetrics;
import dev.keel.BootPhase;
import dev.keel.BootProgress;
import dev.keel.internal.recovery.RecoveryProgress;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.InstantSource;
import java.util.LinkedHashMap;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The boot state machine of one database instance: the current {@link BootPhase}, the time spent in
 * each phase, the progress of the work of opening, and budget enforcement.
 *
 * <p>Transitions: {@link #moveTo} accepts exactly {@link BootPhase#canMoveTo}; anything else is a
 * bug in the engine and throws {@link IllegalStateException} at once (it is never silently
 * ignored). {@link #fail} moves to {@code FAILED} from any phase that allows it and keeps the first
 * reason.
 *
 * <p>Budgets: checked whenever recovery reports progress (every few thousand records and every
 * segment) and when a phase ends, against the injected clock. Exceeding a budget throws
 * {@link BootBudgetExceededException} on the opening thread, or logs one warning per phase when
 * budgets only warn. The recovery phase's budget is checked for the last time when recovery is
 * about to repair ({@link #repairsStarting}); the repairs then run to the end whatever they take,
 * so an abandoned open leaves the directory as it found it, never half-repaired or repaired
 * without a report reaching the caller.
 *
 * <p>Threads: the opening thread drives the boot; a failure later moves to FAILED from whatever
 * thread hit it, and closing from the closing thread. {@link #progress()} and {@link #phase()} may
 * be called from any thread at any time. The listener is called on the thread that made the
 * change, one call at a time and in the order of the changes (a delivery lock is held while it
 * runs, so it must be quick and must not call into the database).
 */
public final class BootSequence implements RecoveryProgress {
    private static final Logger LOG = LoggerFactory.getLogger(BootSequence.class);

    private final Path directory;
    private final InstantSource clock;
    private final BootBudgets budgets;
    private final BootListener listener;
    private final Instant started;
    private final Map<BootPhase, Duration> durations = new LinkedHashMap<>();
    private BootPhase phase = BootPhase.INIT;
    private Instant phaseStarted;
    private Instant readyAt;
    private boolean warned;
    /** The current phase's budget no longer applies: recovery began repairs that must finish and be reported. */
    private boolean budgetWaived;
    private String failure;
    private Throwable failureCause;
    private int notifiedPercent = -1;
    private long checkpointBytesTotal = -1;
    private long logBytesTotal = -1;
    private long checkpointBytesDone;
    private long logBytesDone;
    private long recordsTotal = -1;
    private long recordsDone;

    public BootSequence(Path directory, InstantSource clock, BootBudgets budgets, BootListener listener) {
        this.directory = directory;
        this.clock = clock;
        this.budgets = budgets;
        this.listener = listener;
        this.started = clock.instant();
        this.phaseStarted = started;
    }

    /** Tells the listener that opening began (phase {@code INIT}). */
    public void start() {
        notifyListener(true);
    }

    public synchronized BootPhase phase() {
        return phase;
    }

    /** Why the database failed (boot or later), or null. */
    public synchronized Throwable failureCause() {
        return failureCause;
    }

    /** When the database became ready, or null. */
    public synchronized Instant readyAt() {
        return readyAt;
    }

    public InstantSource clock() {
        return clock;
    }

    /**
     * Ends the current phase (checking its budget) and enters {@code next}.
     *
     * @throws IllegalStateException the transition is not allowed: a bug in the engine
     * @throws BootBudgetExceededException the phase that ends ran over its budget
     */
    public void moveTo(BootPhase next) {
        synchronized (this) {
            if (!phase.canMoveTo(next)) {
                throw new IllegalStateException("invalid boot transition " + phase + " -> " + next + " for " + directory
                        + "; allowed from " + phase + ": " + phase.successors() + " (this is a bug in KeelDB)");
            }
            checkBudget();
            enter(next);
        }
        notifyListener(true);
    }

    /**
     * Like {@link #moveTo}, unless a failure moved the sequence to {@code FAILED} meanwhile (a
     * background thread of a warming-up engine may fail it): then returns false and stays there.
     */
    public boolean moveToUnlessFailed(BootPhase next) {
        synchronized (this) {
            if (phase == BootPhase.FAILED) {
                return false;
            }
            if (!phase.canMoveTo(next)) {
                throw new IllegalStateException("invalid boot transition " + phase + " -> " + next + " for " + directory
                        + "; allowed from " + phase + ": " + phase.successors() + " (this is a bug in KeelDB)");
            }
            checkBudget();
            enter(next);
        }
        notifyListener(true);
        return true;
    }

    /** Moves to {@code FAILED} with {@code cause} if the current phase allows it; keeps the first cause. */
    public void fail(Throwable cause) {
        synchronized (this) {
            if (failureCause == null) {
                failureCause = cause;
                failure = String.valueOf(cause.getMessage());
            }
            if (!phase.canMoveTo(BootPhase.FAILED)) {
                return;
            }
            enter(BootPhase.FAILED);
        }
        notifyListener(true);
    }

    private void enter(BootPhase next) {
        Instant now = clock.instant();
        if (phase.isBooting()) {
            durations.merge(phase, Duration.between(phaseStarted, now), Duration::plus);
        }
        phase = next;
        phaseStarted = now;
        warned = false;
        budgetWaived = false;
        if (next == BootPhase.READY) {
            readyAt = now;
        }
    }

    /** Throws (or warns once) if the current phase ran past its budget. Called with the lock held. */
    private void checkBudget() {
        Duration budget = budgets.budget(phase).orElse(null);
        if (budget == null || budgetWaived) {
            return;
        }
        Duration spent = Duration.between(phaseStarted, clock.instant());
        if (spent.compareTo(budget) <= 0) {
            return;
        }
        if (budgets.warnOnly()) {
            if (!warned) {
                warned = true;
                LOG.warn("opening {}: phase {} has taken {} ms, over its budget of {} ms ({}); going on because budgets"
                        + " only warn", directory, phase, spent.toMillis(), budget.toMillis(), describeWork());
            }
            return;
        }
        throw new BootBudgetExceededException(phase, budget, spent, describeWork());
    }

    private String describeWork() {
        StringBuilder b = new StringBuilder();
        b.append(checkpointBytesDone + logBytesDone).append(" of ")
                .append(checkpointBytesTotal < 0 ? "?" : String.valueOf(checkpointBytesTotal + logBytesTotal))
                .append(" bytes read, ").append(recordsDone).append(" of ")
                .append(recordsTotal < 0 ? "?" : String.valueOf(recordsTotal)).append(" log records replayed");
        return b.toString();
    }

    /** A snapshot of where opening is. */
    public synchronized BootProgress progress() {
        Instant now = clock.instant();
        Duration elapsed = Duration.between(started, readyAt != null ? readyAt : now);
        double percent = percent();
        Duration budget = budgets.budget(phase).orElse(null);
        Duration phaseElapsed = Duration.between(phaseStarted, now);
        Duration remaining = budget == null || !phase.isBooting() ? null : budget.minus(phaseElapsed);
        Duration eta = null;
        if (phase == BootPhase.READY) {
            eta = Duration.ZERO;
        } else if (phase.isBooting() && percent >= 1 && !elapsed.isZero()) {
            eta = Duration.ofNanos((long) (elapsed.toNanos() * (100 - percent) / percent));
        }
        long bytesTotal = checkpointBytesTotal < 0 ? -1 : checkpointBytesTotal + logBytesTotal;
        return new BootProgress(phase, percent, recordsDone, recordsTotal, checkpointBytesDone + logBytesDone,
                bytesTotal, elapsed, phaseElapsed, remaining, eta, phase == BootPhase.FAILED ? failure : null);
    }

    /**
     * Overall percent: the work is the checkpoint's bytes plus the log's bytes; the log counts half
     * for reading it and half for replaying its records. 95% is the work, the last 5% is warmup.
     */
    private double percent() {
        if (!phase.isBooting()) {
            return phase == BootPhase.FAILED && readyAt == null ? lastBootPercent : 100;
        }
        long work = Math.max(0, checkpointBytesTotal) + Math.max(0, logBytesTotal);
        double fraction;
        if (phase == BootPhase.WARMUP) {
            fraction = 1;
        } else if (work == 0) {
            fraction = 0;
        } else {
            double replayFraction = recordsTotal > 0 ? Math.min(1, (double) recordsDone / recordsTotal)
                    : recordsTotal == 0 ? 1 : 0;
            double done = checkpointBytesDone + Math.min(logBytesDone, logBytesTotal) * 0.5
                    + Math.max(0, logBytesTotal) * 0.5 * replayFraction;
            fraction = Math.min(1, done / work);
        }
        lastBootPercent = Math.min(99.0, 95.0 * fraction + (phase == BootPhase.WARMUP ? 4 : 0));
        return lastBootPercent;
    }

    private double lastBootPercent;

    /** The metrics of opening, once it ran. */
    public synchronized BootMetrics metrics(long recordsReplayed, long tailsRepaired, long recordsQuarantined,
            long transactionsRolledBack, double replayBytesPerSecond) {
        return new BootMetrics(durations, recordsReplayed, checkpointBytesDone + logBytesDone, checkpointBytesDone,
                tailsRepaired, recordsQuarantined, transactionsRolledBack, replayBytesPerSecond);
    }

    private final Object delivery = new Object();

    /** Delivers a snapshot taken under the delivery lock, so deliveries are in the order of the changes. */
    private void notifyListener(boolean always) {
        synchronized (delivery) {
            BootProgress p;
            synchronized (this) {
                p = progress();
                int pct = (int) p.percent();
                if (!always && pct <= notifiedPercent) {
                    return;
                }
                notifiedPercent = pct;
            }
            try {
                listener.onProgress(p);
            } catch (RuntimeException e) {
                LOG.warn("boot listener of {} threw; ignored", directory, e);
            }
        }
    }

    /** Ends closing: {@code SHUTTING_DOWN -> CLOSED}, passing through a failure that happened meanwhile. */
    public void finishShutdown() {
        synchronized (this) {
            if (phase == BootPhase.FAILED) {
                enter(BootPhase.SHUTTING_DOWN);
            }
            if (phase != BootPhase.SHUTTING_DOWN) {
                throw new IllegalStateException("invalid boot transition " + phase + " -> CLOSED for " + directory
                        + " (this is a bug in KeelDB)");
            }
            enter(BootPhase.CLOSED);
        }
        notifyListener(true);
    }

    /** Records progress, checks the budget, tells the listener when a percent more is done. */
    private void advanced() {
        synchronized (this) {
            checkBudget();
        }
        notifyListener(false);
    }

    @Override
    public void sizes(long checkpointBytes, long logBytes) {
        synchronized (this) {
            checkpointBytesTotal = checkpointBytes;
            logBytesTotal = logBytes;
        }
        advanced();
    }

    @Override
    public void checkpointLoaded(long bytes) {
        synchronized (this) {
            checkpointBytesDone = bytes;
        }
        advanced();
    }

    @Override
    public void logRead(long bytes) {
        synchronized (this) {
            logBytesDone += bytes;
        }
        advanced();
    }

    @Override
    public void replayStarting(long records) {
        synchronized (this) {
            recordsTotal = records;
        }
        advanced();
    }

    /** Last budget check of the recovery phase; after it the repairs run to the end whatever they take. */
    @Override
    public void repairsStarting() {
        synchronized (this) {
            checkBudget();
            budgetWaived = true;
        }
    }

    @Override
    public void replayed(long records) {
        synchronized (this) {
            recordsDone = records;
        }
        advanced();
    }
}

package dev.keel;

import java.time.Duration;
import java.util.EnumMap;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;

/**
 * Time budgets for the phases of {@link KeelDb#open}. When a phase runs past its budget the open is
 * abandoned with a {@link BootBudgetExceededException} naming the phase, unless {@link #onlyWarn()}
 * was chosen (then a warning is logged once per phase and the open goes on). The recovery budget
 * also bounds recovery ahead of time: when replaying the log written since the last checkpoint would
 * take longer than half of it at the measured replay rate, a checkpoint is taken (see
 * {@link Health}'s checkpoint component).
 *
 * <p>Defaults ({@link #defaults()}): {@code INIT} 1 min, {@code MIGRATE} 10 min, each recovery phase
 * 10 min, {@code WARMUP} 5 min; exceeding one fails the open. They are generous on purpose: they
 * exist to turn a hang into an error. Use {@link #forStartupProbe} to fit a Kubernetes startup probe.
 * Immutable and thread-safe.
 */
public final class BootBudgets {
    private final Map<BootPhase, Duration> budgets;
    private final boolean warnOnly;

    private BootBudgets(Map<BootPhase, Duration> budgets, boolean warnOnly) {
        this.budgets = budgets;
        this.warnOnly = warnOnly;
    }

    /** The default budgets (see the class comment); exceeding one fails the open. */
    public static BootBudgets defaults() {
        Map<BootPhase, Duration> m = new EnumMap<>(BootPhase.class);
        m.put(BootPhase.INIT, Duration.ofMinutes(1));
        m.put(BootPhase.MIGRATE, Duration.ofMinutes(10));
        m.put(BootPhase.RECOVER, Duration.ofMinutes(10));
        m.put(BootPhase.READ_ONLY_RECOVERY, Duration.ofMinutes(10));
        m.put(BootPhase.FORCE_RECOVERY, Duration.ofMinutes(10));
        m.put(BootPhase.WARMUP, Duration.ofMinutes(5));
        return new BootBudgets(m, false);
    }

    /** No budget for any phase: opening may take as long as it takes. */
    public static BootBudgets unlimited() {
        return new BootBudgets(new EnumMap<>(BootPhase.class), false);
    }

    /**
     * Budgets that fit in a Kubernetes startup probe's window ({@code failureThreshold *
     * periodSeconds}): 5% for {@code INIT}, 25% for {@code MIGRATE}, 50% for the recovery phase and
     * 10% for {@code WARMUP}, leaving 10% slack for the JVM and the first probe. A boot that cannot
     * make it then fails with a reason in the log instead of being killed mid-recovery by the probe.
     *
     * @throws IllegalArgumentException {@code window} is not positive
     */
    public static BootBudgets forStartupProbe(Duration window) {
        Objects.requireNonNull(window, "window");
        if (window.isZero() || window.isNegative()) {
            throw new IllegalArgumentException("startup probe window must be positive, got " + window);
        }
        Map<BootPhase, Duration> m = new EnumMap<>(BootPhase.class);
        m.put(BootPhase.INIT, window.multipliedBy(5).dividedBy(100));
        m.put(BootPhase.MIGRATE, window.multipliedBy(25).dividedBy(100));
        for (BootPhase p : new BootPhase[] {BootPhase.RECOVER, BootPhase.READ_ONLY_RECOVERY, BootPhase.FORCE_RECOVERY}) {
            m.put(p, window.dividedBy(2));
        }
        m.put(BootPhase.WARMUP, window.dividedBy(10));
        return new BootBudgets(m, false);
    }

    /**
     * These budgets with {@code phase}'s set to {@code budget} ({@code null} removes it). Setting
     * {@code RECOVER} sets all three recovery phases.
     *
     * @throws IllegalArgumentException the budget is not positive, or the phase is not one of opening
     */
    public BootBudgets with(BootPhase phase, Duration budget) {
        Objects.requireNonNull(phase, "phase");
        if (!phase.isBooting()) {
            throw new IllegalArgumentException("only the phases of opening have budgets, not " + phase);
        }
        if (budget != null && (budget.isZero() || budget.isNegative())) {
            throw new IllegalArgumentException("budget for " + phase + " must be positive, got " + budget);
        }
        Map<BootPhase, Duration> m = new EnumMap<>(BootPhase.class);
        m.putAll(budgets);
        BootPhase[] targets = phase == BootPhase.RECOVER
                ? new BootPhase[] {BootPhase.RECOVER, BootPhase.READ_ONLY_RECOVERY, BootPhase.FORCE_RECOVERY}
                : new BootPhase[] {phase};
        for (BootPhase p : targets) {
            if (budget == null) {
                m.remove(p);
            } else {
                m.put(p, budget);
            }
        }
        return new BootBudgets(m, warnOnly);
    }

    /** These budgets, but exceeding one only logs a warning. */
    public BootBudgets onlyWarn() {
        return new BootBudgets(budgets, true);
    }

    /** The budget of {@code phase}, if it has one. */
    public Optional<Duration> budget(BootPhase phase) {
        return Optional.ofNullable(budgets.get(phase));
    }

    /** True if exceeding a budget only warns. */
    public boolean warnOnly() {
        return warnOnly;
    }

    @Override
    public String toString() {
        return "BootBudgets" + budgets + (warnOnly ? " (warn only)" : "");
    }
}

package dev.keel;

import java.time.Duration;

/**
 * An open took longer than the {@link BootBudgets} allowed for one phase and was abandoned. Nothing
 * was changed on disk by the abandoned phase beyond what that phase had already made durable (a
 * repair is made whole or not at all), so opening again, with a larger budget or after a checkpoint,
 * is safe.
 */
public final class BootBudgetExceededException extends KeelException {
    private final BootPhase phase;
    private final Duration budget;
    private final Duration spent;

    public BootBudgetExceededException(BootPhase phase, Duration budget, Duration spent, String progress) {
        super(ErrorCode.BOOT_BUDGET_EXCEEDED, "opening spent " + spent.toMillis() + " ms in phase " + phase
                + ", over its budget of " + budget.toMillis() + " ms (" + progress + "); the open was abandoned."
                + " Raise the budget with KeelOptions.Builder.bootBudgets (or let budgets only warn), and checkpoint"
                + " more often so recovery has less log to replay");
        this.phase = phase;
        this.budget = budget;
        this.spent = spent;
    }

    /** The phase that ran out of time. */
    public BootPhase phase() {
        return phase;
    }

    public Duration budget() {
        return budget;
    }

    public Duration spent() {
        return spent;
    }
}

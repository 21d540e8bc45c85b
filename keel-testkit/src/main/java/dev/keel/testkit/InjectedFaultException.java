package dev.keel.testkit;

import java.io.IOException;
import java.nio.file.Path;

/**
 * The I/O error a {@link FaultPlan} injects, so that a test can tell an injected fault from a real
 * one in a cause chain. The operation did nothing before failing.
 */
public final class InjectedFaultException extends IOException {
    private static final long serialVersionUID = 1L;

    private final IoOp operation;
    private final long ordinal;

    InjectedFaultException(IoOp operation, long ordinal, Path path) {
        super("injected fault: " + operation + " #" + ordinal + " on " + path);
        this.operation = operation;
        this.ordinal = ordinal;
    }

    /** The kind of operation that failed. */
    public IoOp operation() {
        return operation;
    }

    /** Which matching operation (1-based, counted from when the plan was armed) failed. */
    public long ordinal() {
        return ordinal;
    }
}

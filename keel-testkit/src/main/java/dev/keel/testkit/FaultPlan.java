package dev.keel.testkit;

import java.nio.file.Path;
import java.util.Collections;
import java.util.EnumSet;
import java.util.Objects;
import java.util.Set;
import java.util.function.Predicate;

/**
 * When {@link FaultyFileIO} makes an operation throw an {@link InjectedFaultException}: the
 * {@code nth} operation that matches (its kind is in {@code operations} and one of its paths passes
 * {@code pathFilter}), counted from when the plan was {@linkplain FaultyFileIO#arm armed}, fails;
 * with {@code failForever} every matching operation after it fails too. A failing operation does
 * nothing before it throws.
 *
 * <p>Typical use, failing at every I/O point of a scenario (H2 {@code TestKillProcessWhileWriting}):
 * <pre>{@code
 * long total = countOperations(scenario);            // FaultyFileIO.ioCount() after one clean run
 * for (long n = 1; n <= total; n++) {
 *     FaultyFileIO io = new FaultyFileIO();
 *     io.arm(FaultPlan.failNthOperation(n));
 *     runExpectingFailure(scenario, io);
 *     io.powerLoss();
 *     checkRecovery(dir);                            // reopen with NioFileIO
 * }
 * }</pre>
 *
 * @param operations the kinds of operation counted; never empty
 * @param nth        1-based index of the matching operation that fails first
 * @param failForever false: only the nth fails (default); true: the nth and every later one fail
 * @param pathFilter only operations on a path that passes are counted (default: all paths); for a
 *                   move either the source or the target must pass. Paths are absolute and
 *                   normalized.
 */
public record FaultPlan(Set<IoOp> operations, long nth, boolean failForever, Predicate<Path> pathFilter) {

    public FaultPlan {
        Objects.requireNonNull(operations, "operations");
        Objects.requireNonNull(pathFilter, "pathFilter");
        if (operations.isEmpty()) {
            throw new IllegalArgumentException("operations must not be empty");
        }
        if (nth < 1) {
            throw new IllegalArgumentException("nth must be at least 1, got " + nth);
        }
        operations = Collections.unmodifiableSet(EnumSet.copyOf(operations));
    }

    /** Fails the {@code nth} operation of kind {@code operation}, once. */
    public static FaultPlan failNth(IoOp operation, long nth) {
        return new FaultPlan(EnumSet.of(operation), nth, false, path -> true);
    }

    /** Fails the {@code nth} operation whose kind is one of {@code operations}, once. */
    public static FaultPlan failNthOf(Set<IoOp> operations, long nth) {
        return new FaultPlan(operations, nth, false, path -> true);
    }

    /** Fails the {@code nth} operation of any kind, once; {@code nth} ranges over {@link FaultyFileIO#ioCount()}. */
    public static FaultPlan failNthOperation(long nth) {
        return new FaultPlan(EnumSet.allOf(IoOp.class), nth, false, path -> true);
    }

    /** This plan, but every matching operation from the nth on fails. */
    public FaultPlan forever() {
        return new FaultPlan(operations, nth, true, pathFilter);
    }

    /** This plan, but only the nth matching operation fails. */
    public FaultPlan once() {
        return new FaultPlan(operations, nth, false, pathFilter);
    }

    /** This plan, counting only operations on paths that pass {@code filter}. */
    public FaultPlan onlyPaths(Predicate<Path> filter) {
        return new FaultPlan(operations, nth, failForever, filter);
    }

    /** True if an operation of kind {@code operation} on {@code paths} is counted by this plan. */
    boolean matches(IoOp operation, Path... paths) {
        if (!operations.contains(operation)) {
            return false;
        }
        for (Path path : paths) {
            if (pathFilter.test(path)) {
                return true;
            }
        }
        return false;
    }

    /** True if the matching operation with 1-based index {@code ordinal} must fail. */
    boolean fails(long ordinal) {
        return ordinal == nth || (failForever && ordinal > nth);
    }
}

package dev.keel.boot;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.keel.BootBudgets;
import dev.keel.BootListener;
import dev.keel.BootPhase;
import dev.keel.internal.engine.BootSequence;
import java.nio.file.Path;
import java.util.EnumSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** Every pair of phases: the allowed transitions are exactly the documented ones, and the rest throw. */
class BootPhaseTest {
    /** The contract, written out independently of {@link BootPhase#successors()}. */
    private static final Map<BootPhase, Set<BootPhase>> ALLOWED = Map.of(
            BootPhase.INIT, EnumSet.of(BootPhase.MIGRATE, BootPhase.FAILED),
            BootPhase.MIGRATE, EnumSet.of(BootPhase.RECOVER, BootPhase.READ_ONLY_RECOVERY, BootPhase.FORCE_RECOVERY,
                    BootPhase.FAILED),
            BootPhase.RECOVER, EnumSet.of(BootPhase.WARMUP, BootPhase.FAILED),
            BootPhase.READ_ONLY_RECOVERY, EnumSet.of(BootPhase.WARMUP, BootPhase.FAILED),
            BootPhase.FORCE_RECOVERY, EnumSet.of(BootPhase.WARMUP, BootPhase.FAILED),
            BootPhase.WARMUP, EnumSet.of(BootPhase.READY, BootPhase.FAILED),
            BootPhase.READY, EnumSet.of(BootPhase.SHUTTING_DOWN, BootPhase.FAILED),
            BootPhase.SHUTTING_DOWN, EnumSet.of(BootPhase.CLOSED, BootPhase.FAILED),
            BootPhase.FAILED, EnumSet.of(BootPhase.SHUTTING_DOWN),
            BootPhase.CLOSED, EnumSet.noneOf(BootPhase.class));

    /** A shortest path of allowed transitions from INIT to {@code target}. */
    private static List<BootPhase> pathTo(BootPhase target) {
        return switch (target) {
            case INIT -> List.of();
            case MIGRATE -> List.of(BootPhase.MIGRATE);
            case RECOVER, READ_ONLY_RECOVERY, FORCE_RECOVERY -> List.of(BootPhase.MIGRATE, target);
            case WARMUP -> List.of(BootPhase.MIGRATE, BootPhase.RECOVER, BootPhase.WARMUP);
            case READY -> List.of(BootPhase.MIGRATE, BootPhase.RECOVER, BootPhase.WARMUP, BootPhase.READY);
            case SHUTTING_DOWN -> List.of(BootPhase.MIGRATE, BootPhase.RECOVER, BootPhase.WARMUP, BootPhase.READY,
                    BootPhase.SHUTTING_DOWN);
            case CLOSED -> List.of(BootPhase.MIGRATE, BootPhase.RECOVER, BootPhase.WARMUP, BootPhase.READY,
                    BootPhase.SHUTTING_DOWN, BootPhase.CLOSED);
            case FAILED -> List.of(BootPhase.FAILED);
        };
    }

    private static BootSequence sequenceIn(BootPhase phase) {
        BootSequence s = new BootSequence(Path.of("db"), new FakeClock(), BootBudgets.unlimited(), BootListener.NONE);
        for (BootPhase p : pathTo(phase)) {
            s.moveTo(p);
        }
        assertEquals(phase, s.phase());
        return s;
    }

    @Test
    void everyPairOfPhasesIsAllowedExactlyWhenTheContractSaysSo() {
        int allowed = 0;
        int refused = 0;
        for (BootPhase from : BootPhase.values()) {
            for (BootPhase to : BootPhase.values()) {
                boolean expected = ALLOWED.get(from).contains(to);
                assertEquals(expected, from.canMoveTo(to), from + " -> " + to);
                BootSequence s = sequenceIn(from);
                if (expected) {
                    s.moveTo(to);
                    assertEquals(to, s.phase());
                    allowed++;
                } else {
                    IllegalStateException e = assertThrows(IllegalStateException.class, () -> s.moveTo(to),
                            from + " -> " + to);
                    assertTrue(e.getMessage().contains("invalid boot transition " + from + " -> " + to), e.getMessage());
                    assertEquals(from, s.phase(), "a refused transition leaves the phase as it was");
                    refused++;
                }
            }
        }
        assertEquals(19, allowed);
        assertEquals(100 - 19, refused);
    }

    @Test
    void failKeepsTheFirstCauseAndIsIgnoredWhereFailedIsNotAllowed() {
        BootSequence s = sequenceIn(BootPhase.RECOVER);
        RuntimeException first = new RuntimeException("first");
        s.fail(first);
        s.fail(new RuntimeException("second"));
        assertEquals(BootPhase.FAILED, s.phase());
        assertEquals(first, s.failureCause());
        assertEquals("first", s.progress().failure());

        BootSequence closed = sequenceIn(BootPhase.CLOSED);
        closed.fail(new RuntimeException("late"));
        assertEquals(BootPhase.CLOSED, closed.phase());
    }

    @Test
    void onlyPhasesBeforeReadyCountAsBooting() {
        for (BootPhase p : BootPhase.values()) {
            assertEquals(p.ordinal() < BootPhase.READY.ordinal(), p.isBooting(), p.name());
        }
        assertFalse(BootPhase.FAILED.isBooting());
    }

    @Test
    void aDatabaseThatFailsAfterReadyStaysAtOneHundredPercent() {
        BootSequence s = sequenceIn(BootPhase.READY);
        assertEquals(100.0, s.progress().percent());
        s.fail(new RuntimeException("fsync failed"));
        assertEquals(100.0, s.progress().percent(), "progress never goes back");
        s.moveTo(BootPhase.SHUTTING_DOWN);
        s.finishShutdown();
        assertEquals(BootPhase.CLOSED, s.phase());
    }

    @Test
    void finishingAShutdownPassesThroughAFailureThatHappenedMeanwhile() {
        BootSequence s = sequenceIn(BootPhase.SHUTTING_DOWN);
        s.fail(new RuntimeException("segment preparation failed while closing"));
        assertEquals(BootPhase.FAILED, s.phase());
        s.finishShutdown();
        assertEquals(BootPhase.CLOSED, s.phase());
        assertThrows(IllegalStateException.class, s::finishShutdown, "closing twice is a bug");
    }
}

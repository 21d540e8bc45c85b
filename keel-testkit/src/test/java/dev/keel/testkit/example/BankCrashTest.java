package dev.keel.testkit.example;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.keel.KeelException;
import dev.keel.KeelOptions;
import dev.keel.fault.CrashPoint;
import dev.keel.testkit.CrashInjector;
import dev.keel.testkit.FaultyFileIO;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.SplittableRandom;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * The testkit example: how an application tests its own recovery logic against power loss at
 * KeelDB's crash points. Only public API is used: {@link FaultyFileIO} and {@link CrashInjector}
 * from keel-testkit, {@link CrashPoint} and the options {@code fileIO} and {@code crashHook}.
 *
 * <p>For each crash point: run random transfers, cut the power the n-th time the point is reached,
 * restart the bank on the surviving files, let the client retry the transfer that got an error,
 * then check the application's invariants: money is neither created nor lost, every acknowledged
 * transfer is there, the retried one is applied exactly once.
 */
class BankCrashTest {
    private static final int ACCOUNTS = 5;
    private static final long INITIAL = 1_000;

    @TempDir
    Path dir;

    @ParameterizedTest
    @EnumSource(value = CrashPoint.class, names = {"COMMIT_.*", "CHECKPOINT_.*"},
            mode = EnumSource.Mode.MATCH_ANY)
    void noTransferIsLostOrAppliedTwiceWhenThePowerFails(CrashPoint point) {
        long seed = Long.getLong("keel.test.seed", System.nanoTime());
        System.out.println(point + ": seed=" + seed + " (replay with -Dkeel.test.seed=" + seed + ")");
        SplittableRandom random = new SplittableRandom(seed);

        // 1. The application runs on the fault-injecting layer with the injector as crash hook.
        FaultyFileIO io = new FaultyFileIO();
        CrashInjector crash = new CrashInjector(io);
        KeelOptions.Builder faulty = KeelOptions.builder().fileIO(io).crashHook(crash).segmentSizeInBytes(64 * 1024);
        Bank bank = new Bank(dir, faulty);
        for (int i = 0; i < ACCOUNTS; i++) {
            bank.openAccount("owner-" + i, INITIAL);
        }
        crash.crashAt(point, 1 + random.nextInt(point.name().startsWith("COMMIT_") ? 30 : 2));

        // 2. Transfers until the power fails; remember what the client was told.
        long[] expected = new long[ACCOUNTS + 1];
        java.util.Arrays.fill(expected, INITIAL);
        List<String> acknowledged = new ArrayList<>();
        String inFlight = null;
        long[] inFlightMove = null;
        for (int n = 0; n < 300 && inFlight == null; n++) {
            long from = 1 + random.nextInt(ACCOUNTS);
            long to = 1 + (from + random.nextInt(ACCOUNTS - 1)) % ACCOUNTS;
            long amount = 1 + random.nextInt(50);
            String id = "request-" + n;
            try {
                if (n % 25 == 24) {
                    bank.checkpoint();
                }
                bank.transfer(id, from, to, amount);
                acknowledged.add(id);
                expected[(int) from] -= amount;
                expected[(int) to] += amount;
            } catch (KeelException e) {
                assertTrue(crash.crashed(), "only the simulated power loss may fail a transfer: " + e);
                inFlight = id;
                inFlightMove = new long[] {from, to, amount};
            }
        }
        assertTrue(crash.crashed(), "the workload must reach " + point + " (reached " + crash.timesReached(point)
                + " times), or this test checks nothing");
        try {
            bank.close();
        } catch (KeelException expectedAfterPowerLoss) {
            // The "machine" is down; the process would be gone.
        }

        // 3. Restart on the files a real disk would hold now, with the plain file system.
        io.reset();
        try (Bank restarted = new Bank(dir, KeelOptions.builder())) {
            Set<String> applied = restarted.appliedRequests();
            assertTrue(applied.containsAll(acknowledged), "an acknowledged transfer was lost at " + point);
            Set<String> extra = new HashSet<>(applied);
            acknowledged.forEach(extra::remove);
            assertTrue(extra.isEmpty() || extra.equals(Set.of(inFlight)), "unexpected transfers " + extra);
            assertEquals(ACCOUNTS * INITIAL, restarted.totalBalance(), "money created or lost at " + point);

            // 4. The client's recovery logic: retry the transfer that got an error, with its id.
            boolean appliedNow = restarted.transfer(inFlight, inFlightMove[0], inFlightMove[1], inFlightMove[2]);
            assertEquals(!extra.isEmpty(), !appliedNow, "the retry must apply exactly when the crash lost it");
            assertFalse(restarted.transfer(inFlight, inFlightMove[0], inFlightMove[1], inFlightMove[2]),
                    "a second retry must not apply again");
            expected[(int) inFlightMove[0]] -= inFlightMove[2];
            expected[(int) inFlightMove[1]] += inFlightMove[2];
            for (long account = 1; account <= ACCOUNTS; account++) {
                assertEquals(expected[(int) account], restarted.balance(account), "balance of account " + account);
            }
        }
    }
}

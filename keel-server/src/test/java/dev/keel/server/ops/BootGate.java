package dev.keel.server.ops;

import dev.keel.BootListener;
import dev.keel.BootPhase;
import dev.keel.BootProgress;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;

/**
 * A boot listener that holds the opening thread at every progress report of one phase until the
 * test lets it go one step ({@link #step}) or for good ({@link #open}): a recovery exactly as slow
 * as the test needs, without timing.
 */
final class BootGate implements BootListener {
    private final BootPhase phase;
    private final Semaphore steps = new Semaphore(0);
    private volatile boolean open;

    BootGate(BootPhase phase) {
        this.phase = phase;
    }

    @Override
    public void onProgress(BootProgress progress) {
        if (!open && progress.phase() == phase) {
            try {
                if (!steps.tryAcquire(60, TimeUnit.SECONDS)) {
                    open = true; // a test that forgot to open the gate must not hang the build
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }

    /** Lets the boot go on to its next progress report. */
    void step() {
        steps.release();
    }

    /** Lets the boot run to its end. */
    void open() {
        open = true;
        steps.release(1_000_000);
    }
}

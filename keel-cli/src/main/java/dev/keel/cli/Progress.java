package dev.keel.cli;

import java.io.PrintWriter;
import me.tongfei.progressbar.ProgressBar;
import me.tongfei.progressbar.ProgressBarBuilder;
import me.tongfei.progressbar.ProgressBarStyle;

/**
 * Progress of long work on stderr: a progress bar when the command runs in a terminal, else plain
 * lines ({@code exported 50000/100000 entities (50%)}) every 10% or every 5 seconds, whichever
 * comes first, starting once the work has run for a second (short runs print nothing). Not
 * thread-safe: one thread reports.
 */
abstract class Progress implements AutoCloseable {
    /** Whether progress bars can be drawn: the JVM has a console (stdin and stdout are a terminal). */
    static boolean interactive() {
        return System.console() != null;
    }

    /**
     * @param verb past tense of the work, e.g. "exported"
     * @param total units of work in all, or -1 when unknown
     * @param bytes whether the units are bytes (printed as MB) rather than entities
     */
    static Progress start(PrintWriter err, String verb, long total, boolean bytes) {
        return interactive() ? new Bar(verb, total, bytes) : new Lines(err, verb, total, bytes);
    }

    /** Reports that {@code done} units are done; {@code entities} is the entity count so far. */
    abstract void update(long done, long entities);

    @Override
    public abstract void close();

    private static final class Bar extends Progress {
        private final ProgressBar bar;
        private final boolean bytes;

        Bar(String verb, long total, boolean bytes) {
            this.bytes = bytes;
            ProgressBarBuilder b = new ProgressBarBuilder().setTaskName(verb).setInitialMax(total)
                    .setStyle(ProgressBarStyle.ASCII).setUpdateIntervalMillis(250).showSpeed();
            if (bytes) {
                b.setUnit(" MiB", 1 << 20);
            } else {
                b.setUnit(" entities", 1);
            }
            this.bar = b.build();
        }

        @Override
        void update(long done, long entities) {
            bar.stepTo(done);
            if (bytes) {
                bar.setExtraMessage(" " + entities + " entities");
            }
        }

        @Override
        public void close() {
            bar.close();
        }
    }

    private static final class Lines extends Progress {
        private static final long FIRST_NANOS = 1_000_000_000L;
        private static final long EVERY_NANOS = 5_000_000_000L;
        private final PrintWriter err;
        private final String verb;
        private final long total;
        private final boolean bytes;
        private final long start = System.nanoTime();
        private long lastPrinted = start;
        private long lastTenth;

        Lines(PrintWriter err, String verb, long total, boolean bytes) {
            this.err = err;
            this.verb = verb;
            this.total = total;
            this.bytes = bytes;
        }

        @Override
        void update(long done, long entities) {
            long now = System.nanoTime();
            if (now - start < FIRST_NANOS) {
                return;
            }
            long tenth = total > 0 ? done * 10 / total : 0;
            if (tenth > lastTenth || now - lastPrinted >= EVERY_NANOS) {
                lastTenth = tenth;
                lastPrinted = now;
                err.println(line(done, entities));
                err.flush();
            }
        }

        private String line(long done, long entities) {
            if (!bytes) {
                return total >= 0 ? String.format("%s %d/%d entities (%d%%)", verb, done, total, percent(done))
                        : String.format("%s %d entities", verb, done);
            }
            return total >= 0 ? String.format("%s %d entities, read %s of %s (%d%%)", verb, entities,
                    Format.bytes(done), Format.bytes(total), percent(done))
                    : String.format("%s %d entities, read %s", verb, entities, Format.bytes(done));
        }

        private long percent(long done) {
            return total == 0 ? 100 : done * 100 / total;
        }

        @Override
        public void close() {
            err.flush();
        }
    }
}

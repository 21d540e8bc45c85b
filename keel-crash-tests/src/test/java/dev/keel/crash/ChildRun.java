package dev.keel.crash;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.CountDownLatch;

/**
 * Output of one {@link CrashWorkload} child of {@link KillCrashIT}, read on two threads: stdout as
 * whole lines (a trailing partial line is kept apart in {@link #fragment}), stderr as text.
 */
final class ChildRun {
    final List<String> lines = Collections.synchronizedList(new ArrayList<>());
    final CountDownLatch opening = new CountDownLatch(1);
    final CountDownLatch ready = new CountDownLatch(1);
    final StringBuffer stderr = new StringBuffer();
    volatile String fragment = "";
    Process process;
    boolean aliveAtKill;
    int exitCode;
    int acks;
    String note = "";

    void readStdout(InputStream in) {
        fragment = ChildJvmSupport.forEachLine(in, s -> {
            lines.add(s);
            if (s.equals("OPENING")) {
                opening.countDown();
            } else if (s.startsWith("READY")) {
                ready.countDown();
            }
        });
    }

    void readStderr(InputStream in) {
        byte[] buf = new byte[8192];
        try (in) {
            int n;
            while ((n = in.read(buf)) > 0) {
                if (stderr.length() < 4_000_000) {
                    stderr.append(new String(buf, 0, n, StandardCharsets.UTF_8));
                }
            }
        } catch (IOException e) {
            stderr.append("\n(parent could not read the child's stderr: ").append(e).append(")\n");
        }
    }

    List<String> lines() {
        synchronized (lines) {
            return new ArrayList<>(lines);
        }
    }

    String stderr() {
        return stderr.toString();
    }
}

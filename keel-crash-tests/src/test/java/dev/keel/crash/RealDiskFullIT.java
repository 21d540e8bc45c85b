package dev.keel.crash;

import static dev.keel.crash.ChildJvmSupport.deleteTree;
import static dev.keel.crash.ChildJvmSupport.forEachLine;
import static dev.keel.crash.ChildJvmSupport.privateClassPath;
import static org.junit.jupiter.api.Assertions.fail;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;

/**
 * A real full disk (issue 3, disk-full requirement): a child JVM ({@link DiskFullChild}) runs a KeelDB
 * database on a 4 MiB tmpfs mounted in a private mount namespace
 * ({@code unshare --mount sh -c 'mount -t tmpfs -o size=4m tmpfs <dir> && exec java ... DiskFullChild'}),
 * so nothing is mounted on the host and the tmpfs vanishes with the child. The child eats most of the
 * space with a ballast file, commits seeded multi-entity transactions until the kernel's ENOSPC
 * fails one, and checks: the failing commit throws a {@code dev.keel.KeelException} whose message
 * names the usable space; every acknowledged commit stays readable from the same open database; after
 * the ballast is deleted the same database either accepts writes again or refuses them until reopen
 * (both allowed, the output says which); close; a NORMAL reopen holds every acknowledged commit and no
 * partial transaction and accepts more commits; a second reopen after a clean close finds nothing to
 * repair and the same data.
 *
 * <p>Where the machine does not allow the mount (no root, no unprivileged user namespaces, a container
 * without CAP_SYS_ADMIN) the test is skipped, saying what failed and how to enable it. It first tries
 * {@code unshare --mount} (root), then {@code unshare --mount --map-root-user} (user namespace).
 *
 * <p>{@code -Dkeel.test.seed=N} replays a run (the seed picks the room left and the transactions'
 * contents). A failing run keeps the database under {@code target/failed-dbs/RealDiskFullIT-<seed>/}
 * ({@code after-disk-full/}: as the failed database was closed, before recovery; {@code final/}: at the
 * end) with the child's output.
 */
class RealDiskFullIT {
    private static final String TMPFS_SIZE = "4m";
    private static final long CHILD_TIMEOUT_SECONDS = 90;
    private static final long PROBE_TIMEOUT_SECONDS = 20;
    /** Mounts the tmpfs at $1, then runs the rest of the arguments in its place (same pid). */
    private static final String MOUNT_AND_EXEC =
            "mount -t tmpfs -o size=" + TMPFS_SIZE + " tmpfs \"$1\" && shift && exec \"$@\"";

    @Test
    void realFullDiskFailsTheCommitClearlyKeepsCommittedDataAndRecoversAfterSpaceIsFreed() throws Exception {
        Assumptions.assumeTrue(System.getProperty("os.name", "").toLowerCase(Locale.ROOT).contains("linux"),
                "RealDiskFullIT skipped: it needs Linux (unshare + tmpfs); this is " + System.getProperty("os.name"));
        String seedProperty = System.getProperty("keel.test.seed");
        long seed = seedProperty != null && !seedProperty.isBlank() ? Long.parseLong(seedProperty.trim())
                : new SecureRandom().nextLong();
        System.out.println("RealDiskFullIT seed=" + seed + " (replay with -Dkeel.test.seed=" + seed + ")");
        Path target = Path.of(System.getProperty("basedir", ".")).toAbsolutePath().resolve("target");
        Path work = target.resolve("real-disk-full").resolve(Long.toString(seed));
        deleteTree(work);
        Path mount = work.resolve("mnt");
        Files.createDirectories(mount);

        List<String> unshare = probe(work);

        long start = System.nanoTime();
        String java = ProcessHandle.current().info().command()
                .orElse(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        List<String> cmd = new ArrayList<>(unshare);
        cmd.addAll(List.of("sh", "-c", MOUNT_AND_EXEC, "sh", mount.toString(),
                java, "-Xmx256m", "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1",
                "-cp", privateClassPath(work.resolve("lib")), DiskFullChild.class.getName(),
                mount.toString(), Long.toString(seed), work.toString()));
        System.out.println("RealDiskFullIT child: " + String.join(" ", cmd.subList(0, unshare.size() + 5))
                + " " + java + " ... " + DiskFullChild.class.getName() + " " + mount + " " + seed + " " + work);
        Process p = new ProcessBuilder(cmd).start();
        p.getOutputStream().close();
        List<String> lines = Collections.synchronizedList(new ArrayList<>());
        StringBuffer stderr = new StringBuffer();
        Thread outReader = new Thread(() -> {
            String rest = forEachLine(p.getInputStream(), line -> {
                lines.add(line);
                System.out.println("  child> " + line);
            });
            if (!rest.isEmpty()) {
                lines.add(rest);
                System.out.println("  child> " + rest);
            }
        }, "disk-full-child-stdout");
        Thread errReader = new Thread(() -> readAll(p.getErrorStream(), stderr), "disk-full-child-stderr");
        outReader.start();
        errReader.start();
        boolean exited = p.waitFor(CHILD_TIMEOUT_SECONDS, TimeUnit.SECONDS);
        if (!exited) {
            p.destroyForcibly();
            p.waitFor(10, TimeUnit.SECONDS);
        }
        outReader.join(10_000);
        errReader.join(10_000);
        long millis = (System.nanoTime() - start) / 1_000_000;
        List<String> out;
        synchronized (lines) {
            out = new ArrayList<>(lines);
        }
        String err = stderr.toString();
        if (!err.isBlank()) {
            System.out.println("RealDiskFullIT child stderr (engine log):");
            System.out.println(indent(err.length() > 20_000 ? "..." + err.substring(err.length() - 20_000) : err));
        }

        List<String> problems = new ArrayList<>();
        if (!exited) {
            problems.add("the child did not finish within " + CHILD_TIMEOUT_SECONDS + " s (killed): a hang?");
        } else if (p.exitValue() != 0) {
            problems.add("the child exited with code " + p.exitValue() + " (1: a check failed, 2: an unexpected"
                    + " exception, 3: its watchdog fired, other: the mount or the JVM start failed; see stderr)");
        }
        for (String l : out) {
            if (l.startsWith("FAIL ")) {
                problems.add(l);
            }
        }
        for (String key : List.of("SEED " + seed, "DISK_FULL ", "READS_AFTER_FAILURE OK", "WRITE_WHILE_FULL ",
                "SPACE_FREED ", "WRITE_AFTER_FREE ", "READS_AFTER_FREE OK", "REOPEN1 OK", "REOPEN2 OK",
                out.stream().anyMatch(l -> l.startsWith("RESULT ")) ? "RESULT " : "RESULT PASS")) {
            if (out.stream().noneMatch(l -> l.startsWith(key))) {
                problems.add("the child printed no \"" + key.trim() + "\" line");
            }
        }
        // The child checks these too; asserted here on its DISK_FULL line as well, in case it misjudged.
        boolean childSaid = problems.stream().anyMatch(l -> l.startsWith("FAIL "));
        if (!childSaid && out.stream().anyMatch(l -> l.startsWith("DISK_FULL ") && !l.contains(" keelException=true "))) {
            problems.add("the commit that met the full disk did not throw a dev.keel.KeelException");
        }
        if (!childSaid
                && out.stream().anyMatch(l -> l.startsWith("DISK_FULL ") && !l.contains(" usableSpaceInMessage=true "))) {
            problems.add("the message of the commit that met the full disk does not name the usable space");
        }
        if (exited && p.exitValue() == 0 && out.stream().noneMatch(l -> l.equals("RESULT PASS"))) {
            problems.add("the child exited 0 without printing RESULT PASS");
        }
        String after = out.stream().filter(l -> l.startsWith("WRITE_AFTER_FREE ")).findFirst().orElse("");
        System.out.println("RealDiskFullIT seed=" + seed + ": child exit " + (exited ? p.exitValue() : "none (killed)")
                + " in " + millis + " ms; " + (after.contains("ACCEPTED_WITHOUT_RESTART")
                        ? "writes were accepted again WITHOUT a restart once space was freed"
                        : after.contains("REFUSED_UNTIL_REOPEN") ? "writes were refused until reopen after space was freed"
                        : "no result for writes after space was freed"));

        if (problems.isEmpty()) {
            deleteTree(work);
            return;
        }
        Path keep = target.resolve("failed-dbs").resolve("RealDiskFullIT-" + seed);
        String kept;
        try {
            deleteTree(keep);
            Files.createDirectories(keep);
            for (String d : List.of("after-disk-full", "final")) {
                if (Files.isDirectory(work.resolve(d))) {
                    Files.move(work.resolve(d), keep.resolve(d), StandardCopyOption.REPLACE_EXISTING);
                }
            }
            Files.write(keep.resolve("child-stdout.txt"), out, StandardCharsets.UTF_8);
            Files.writeString(keep.resolve("child-stderr.txt"), err, StandardCharsets.UTF_8);
            deleteTree(work);
            kept = "kept in " + keep + " (after-disk-full/: as the failed database was closed, before recovery;"
                    + " final/: at the end; child-stdout.txt, child-stderr.txt)";
        } catch (IOException | UncheckedIOException e) {
            kept = "(keeping the database in " + keep + " failed: " + e + ")";
        }
        fail("RealDiskFullIT failed, seed=" + seed + " (replay with -Dkeel.test.seed=" + seed + "):\n  "
                + String.join("\n  ", problems) + "\n  " + kept
                + "\n  child stdout:\n" + indent(String.join("\n", out)));
    }

    /**
     * Finds how this machine lets us mount a private tmpfs: {@code unshare --mount} (needs root or
     * CAP_SYS_ADMIN), else {@code unshare --mount --map-root-user} (needs unprivileged user
     * namespaces). Aborts the test, saying what failed and how to enable it, when neither works.
     */
    private static List<String> probe(Path work) throws Exception {
        Path probeMount = work.resolve("probe-mnt");
        Files.createDirectories(probeMount);
        List<List<String>> candidates = List.of(List.of("unshare", "--mount"),
                List.of("unshare", "--mount", "--map-root-user"));
        List<String> failures = new ArrayList<>();
        for (List<String> c : candidates) {
            List<String> cmd = new ArrayList<>(c);
            cmd.addAll(List.of("sh", "-c", "mount -t tmpfs -o size=" + TMPFS_SIZE + " tmpfs \"$1\" && true", "sh",
                    probeMount.toString()));
            String what = "`" + String.join(" ", c) + " sh -c 'mount -t tmpfs -o size=" + TMPFS_SIZE + " tmpfs "
                    + probeMount + "'`";
            try {
                Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
                p.getOutputStream().close();
                StringBuffer output = new StringBuffer();
                Thread reader = new Thread(() -> readAll(p.getInputStream(), output), "unshare-probe");
                reader.start();
                if (!p.waitFor(PROBE_TIMEOUT_SECONDS, TimeUnit.SECONDS)) {
                    p.destroyForcibly();
                    failures.add(what + " did not finish within " + PROBE_TIMEOUT_SECONDS + " s");
                    continue;
                }
                reader.join(5_000);
                if (p.exitValue() == 0) {
                    System.out.println("RealDiskFullIT: " + what + " works; the child runs under `"
                            + String.join(" ", c) + "`");
                    return c;
                }
                failures.add(what + " failed with exit code " + p.exitValue() + ": " + output.toString().trim());
            } catch (IOException e) {
                failures.add(what + " could not start: " + e.getMessage());
            }
        }
        String reason = "RealDiskFullIT skipped: this machine does not allow mounting a private tmpfs, so a real"
                + " full disk cannot be made without touching the host. " + String.join("; ", failures)
                + ". To run it: run the build as root (or with CAP_SYS_ADMIN), or enable unprivileged user"
                + " namespaces (sysctl kernel.unprivileged_userns_clone=1 and user.max_user_namespaces > 0; on"
                + " Ubuntu 24.04+ also kernel.apparmor_restrict_unprivileged_userns=0); in Docker use"
                + " --cap-add SYS_ADMIN (or --privileged) with a seccomp/AppArmor profile that allows unshare and"
                + " mount. Needs util-linux `unshare`. The full-disk behaviour is still covered by the simulated"
                + " DiskFullFaultTest in keel-testkit.";
        System.out.println(reason);
        deleteTree(work);
        Assumptions.abort(reason);
        throw new AssertionError("unreachable");
    }

    private static void readAll(InputStream in, StringBuffer into) {
        byte[] buf = new byte[8192];
        try (in) {
            int n;
            while ((n = in.read(buf)) > 0) {
                if (into.length() < 4_000_000) {
                    into.append(new String(buf, 0, n, StandardCharsets.UTF_8));
                }
            }
        } catch (IOException e) {
            into.append("\n(could not read: ").append(e).append(")\n");
        }
    }

    private static String indent(String text) {
        return "    " + text.replace("\n", "\n    ");
    }
}

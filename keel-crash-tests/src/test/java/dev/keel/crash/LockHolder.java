package dev.keel.crash;

import dev.keel.KeelDb;
import java.nio.file.Path;

/** Child process for {@link ProcessLockCrashIT}: opens a database, says so, and holds it until killed. */
public final class LockHolder {
    private LockHolder() {
    }

    public static void main(String[] args) throws InterruptedException {
        KeelDb db = KeelDb.open(Path.of(args[0]));
        System.out.println("READY " + ProcessHandle.current().pid());
        System.out.flush();
        Thread.sleep(Long.MAX_VALUE);
        db.close();
    }
}

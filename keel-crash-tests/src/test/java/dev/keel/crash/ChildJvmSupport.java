package dev.keel.crash;

import java.io.File;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;

/** What the child-JVM tests share: the child's class path and comparing entity values. */
final class ChildJvmSupport {
    private ChildJvmSupport() {
    }

    /**
     * This JVM's class path with every jar copied into {@code lib}: a {@code mvn install} of keel-core
     * running meanwhile rewrites the jar in the local repository, and a child starting during that
     * would load a mix of old and new classes (seen as NoClassDefFoundError). Directories (this
     * module's test classes) are used as they are.
     */
    static String privateClassPath(Path lib) throws IOException {
        Files.createDirectories(lib);
        List<String> entries = new ArrayList<>();
        int n = 0;
        for (String entry : System.getProperty("java.class.path").split(File.pathSeparator)) {
            Path p = Path.of(entry);
            if (Files.isRegularFile(p)) {
                Path copy = lib.resolve((n++) + "-" + p.getFileName());
                Files.copy(p, copy, StandardCopyOption.REPLACE_EXISTING);
                entries.add(copy.toString());
            } else {
                entries.add(entry);
            }
        }
        return String.join(File.pathSeparator, entries);
    }

    /** Equal field values, comparing byte arrays by content. */
    static boolean sameValues(Map<String, Object> a, Map<String, Object> b) {
        if (!a.keySet().equals(b.keySet())) {
            return false;
        }
        for (Map.Entry<String, Object> e : a.entrySet()) {
            Object x = e.getValue();
            Object y = b.get(e.getKey());
            boolean same = x instanceof byte[] xb && y instanceof byte[] yb ? Arrays.equals(xb, yb) : x.equals(y);
            if (!same) {
                return false;
            }
        }
        return true;
    }

    /** Field values for a message, byte arrays as length and hash. */
    static String show(Map<String, Object> values) {
        StringBuilder sb = new StringBuilder("{");
        values.forEach((k, v) -> sb.append(sb.length() > 1 ? ", " : "").append(k).append('=')
                .append(v instanceof byte[] b ? "bytes[" + b.length + "]#" + Arrays.hashCode(b) : v));
        return sb.append('}').toString();
    }
}

package dev.keel.crash;

import java.io.ByteArrayOutputStream;
import java.io.File;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;
import java.util.stream.Stream;

/** What the child-JVM tests share: the child's class path, its output, directories, entity values. */
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

    /**
     * Reads {@code in} to its end, handing each complete line (UTF-8, without the newline) to
     * {@code onLine} as it arrives, so a hanging child shows how far it got. Returns the unfinished
     * last line ("" if none); a read error becomes a {@code FAIL ...} line.
     */
    static String forEachLine(InputStream in, Consumer<String> onLine) {
        ByteArrayOutputStream line = new ByteArrayOutputStream();
        byte[] buf = new byte[8192];
        try (in) {
            int n;
            while ((n = in.read(buf)) > 0) {
                for (int i = 0; i < n; i++) {
                    if (buf[i] != '\n') {
                        line.write(buf[i]);
                        continue;
                    }
                    String s = line.toString(StandardCharsets.UTF_8);
                    line.reset();
                    onLine.accept(s);
                }
            }
        } catch (IOException e) {
            onLine.accept("FAIL parent could not read the child's stdout: " + e);
        }
        return line.toString(StandardCharsets.UTF_8);
    }

    /** Copies a directory tree, replacing {@code to}; a missing {@code from} gives an empty copy. */
    static void copyTree(Path from, Path to) throws IOException {
        deleteTree(to);
        Files.createDirectories(to);
        if (!Files.exists(from)) {
            return;
        }
        try (Stream<Path> all = Files.walk(from)) {
            for (Path p : (Iterable<Path>) all::iterator) {
                Path dest = to.resolve(from.relativize(p).toString());
                if (Files.isDirectory(p)) {
                    Files.createDirectories(dest);
                } else {
                    Files.copy(p, dest);
                }
            }
        }
    }

    static void deleteTree(Path dir) throws IOException {
        if (!Files.exists(dir)) {
            return;
        }
        try (Stream<Path> all = Files.walk(dir)) {
            for (Path p : all.sorted(Comparator.reverseOrder()).toList()) {
                Files.delete(p);
            }
        }
    }
}

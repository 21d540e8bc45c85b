package dev.keel.server.ops;

import java.util.Locale;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One line per HTTP request on the slf4j logger {@code dev.keel.server.access}, written when the
 * response was sent completely:
 *
 * <pre>
 * remote=10.1.2.3 method=GET path=/v1/entities/Person/12 status=200 ms=3.1 bytes=345
 * </pre>
 *
 * {@code path} is the request path as sent (percent-encoded, so it holds no spaces or line breaks),
 * without the query string, which may carry field values. No header is logged, in particular never
 * {@code Authorization}. Probe requests ({@code /health} and below), which Kubernetes sends every
 * few seconds, are logged at DEBUG, everything else at INFO. Thread-safe.
 */
public final class AccessLog {
    /** The logger's name. */
    public static final String LOGGER = "dev.keel.server.access";
    private static final Logger LOG = LoggerFactory.getLogger(LOGGER);

    void log(String remote, String method, String path, int status, long nanos, long bytes) {
        boolean probe = isProbe(path);
        if (probe ? !LOG.isDebugEnabled() : !LOG.isInfoEnabled()) {
            return;
        }
        String line = "remote=" + clean(remote) + " method=" + clean(method) + " path=" + clean(path) + " status="
                + status + " ms=" + String.format(Locale.ROOT, "%.1f", nanos / 1e6) + " bytes=" + bytes;
        if (probe) {
            LOG.debug(line);
        } else {
            LOG.info(line);
        }
    }

    /** True for the probe paths: {@code /health} and everything under {@code /health/}. */
    static boolean isProbe(String path) {
        return path != null && (path.equals("/health") || path.startsWith("/health/"));
    }

    /** Keeps a value on one line and one field: control characters and spaces become {@code _}. */
    private static String clean(String s) {
        if (s == null || s.isEmpty()) {
            return "-";
        }
        StringBuilder b = new StringBuilder(s.length());
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            b.append(c <= ' ' || c == 0x7f ? '_' : c);
        }
        return b.toString();
    }
}

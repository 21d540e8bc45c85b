package dev.keel.cli;

import dev.keel.Durability;
import dev.keel.server.ServerConfig;
import java.time.Duration;
import java.time.format.DateTimeParseException;
import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import picocli.CommandLine.IDefaultValueProvider;
import picocli.CommandLine.ITypeConverter;
import picocli.CommandLine.Model.ArgSpec;
import picocli.CommandLine.Model.OptionSpec;
import picocli.CommandLine.TypeConversionException;

/**
 * How {@code keel serve} reads and prints its option values: durations ({@code 30s}, {@code 500ms},
 * {@code 1h30m}, or ISO-8601 {@code PT30S}), byte sizes ({@code 4194304}, {@code 512k}, {@code 4m},
 * {@code 4MiB}), durability names ({@code sync}, {@code group}, {@code async}), and the defaults,
 * which come from {@link ServerConfig.Builder} so that the command and the server never disagree.
 */
final class ServeValues {
    private static final Pattern DURATION_PART = Pattern.compile("(\\d+)(ms|s|m|h|d)");
    private static final Pattern SIZE = Pattern.compile("(\\d+)\\s*(k|kib|m|mib|g|gib)?", Pattern.CASE_INSENSITIVE);

    private ServeValues() {
    }

    /** {@code 30s}, {@code 500ms}, {@code 1h30m}, {@code 2d}, or ISO-8601 ({@code PT30S}). */
    static Duration parseDuration(String text) {
        String s = text.trim().toLowerCase(Locale.ROOT);
        if (s.startsWith("p")) {
            try {
                return Duration.parse(s.toUpperCase(Locale.ROOT));
            } catch (DateTimeParseException e) {
                throw new TypeConversionException("'" + text + "' is not a duration; write it like 30s, 500ms, 10m,"
                        + " 24h, 1h30m or PT30S");
            }
        }
        if (s.equals("0")) {
            return Duration.ZERO;
        }
        Matcher m = DURATION_PART.matcher(s);
        Duration total = Duration.ZERO;
        int at = 0;
        while (at < s.length() && m.find(at) && m.start() == at) {
            long n = Long.parseLong(m.group(1));
            total = total.plus(switch (m.group(2)) {
                case "ms" -> Duration.ofMillis(n);
                case "s" -> Duration.ofSeconds(n);
                case "m" -> Duration.ofMinutes(n);
                case "h" -> Duration.ofHours(n);
                default -> Duration.ofDays(n);
            });
            at = m.end();
        }
        if (s.isEmpty() || at != s.length()) {
            throw new TypeConversionException("'" + text + "' is not a duration; write it with a unit, like 30s,"
                    + " 500ms, 10m, 24h or 1h30m");
        }
        return total;
    }

    /** A form {@link #parseDuration} reads: {@code 30s}, {@code 24h}, {@code 1m30s}, {@code 250ms}. */
    static String formatDuration(Duration d) {
        if (d.isZero()) {
            return "0s";
        }
        StringBuilder sb = new StringBuilder();
        append(sb, d.toHours(), "h");
        append(sb, d.toMinutesPart(), "m");
        append(sb, d.toSecondsPart(), "s");
        append(sb, d.toMillisPart(), "ms");
        return sb.toString();
    }

    private static void append(StringBuilder sb, long n, String unit) {
        if (n > 0) {
            sb.append(n).append(unit);
        }
    }

    /** Bytes: {@code 4194304}, or with a binary suffix {@code 512k}, {@code 4m}, {@code 1g} ({@code KiB, MiB, GiB} too). */
    static long parseSize(String text) {
        Matcher m = SIZE.matcher(text.trim());
        if (!m.matches()) {
            throw new TypeConversionException("'" + text + "' is not a size in bytes; write it like 4194304, 512k or"
                    + " 4m (k = KiB, m = MiB, g = GiB)");
        }
        String unit = m.group(2) == null ? "" : m.group(2).substring(0, 1).toLowerCase(Locale.ROOT);
        int shift = switch (unit) {
            case "k" -> 10;
            case "m" -> 20;
            case "g" -> 30;
            default -> 0;
        };
        try {
            long n = Long.parseLong(m.group(1));
            if (n > (Long.MAX_VALUE >> shift)) {
                throw new NumberFormatException();
            }
            return n << shift;
        } catch (NumberFormatException e) {
            throw new TypeConversionException("'" + text + "' is too large");
        }
    }

    /** {@code sync}, {@code group} or {@code async}, any case. */
    static Durability parseDurability(String text) {
        for (Durability d : Durability.values()) {
            if (d.name().equalsIgnoreCase(text.trim())) {
                return d;
            }
        }
        throw new TypeConversionException("'" + text + "' is not a durability; expected sync, group or async");
    }

    static final class DurationConverter implements ITypeConverter<Duration> {
        @Override
        public Duration convert(String value) {
            return parseDuration(value);
        }
    }

    static final class SizeConverter implements ITypeConverter<Long> {
        @Override
        public Long convert(String value) {
            return parseSize(value);
        }
    }

    static final class DurabilityConverter implements ITypeConverter<Durability> {
        @Override
        public Durability convert(String value) {
            return parseDurability(value);
        }
    }

    /** The defaults of {@code keel serve}'s options: those of a fresh {@link ServerConfig.Builder}. */
    static final class Defaults implements IDefaultValueProvider {
        private static final ServerConfig DEFAULTS = ServerConfig.builder().build();

        @Override
        public String defaultValue(ArgSpec argSpec) {
            if (!(argSpec instanceof OptionSpec option)) {
                return null;
            }
            return switch (option.longestName()) {
                case "--data" -> DEFAULTS.dataDirectory().toString();
                case "--host" -> DEFAULTS.host();
                case "--port" -> Integer.toString(DEFAULTS.port());
                case "--durability" -> DEFAULTS.durability().name().toLowerCase(Locale.ROOT);
                case "--max-body-bytes" -> Long.toString(DEFAULTS.maxBodyBytes());
                case "--request-timeout" -> formatDuration(DEFAULTS.requestTimeout());
                case "--shutdown-drain" -> formatDuration(DEFAULTS.shutdownDrain());
                case "--idempotency-ttl" -> formatDuration(DEFAULTS.idempotencyKeyTtl());
                default -> null;
            };
        }
    }
}

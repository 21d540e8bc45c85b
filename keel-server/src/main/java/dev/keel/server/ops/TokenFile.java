package dev.keel.server.ops;

import dev.keel.server.ServerConfig.Token;
import java.io.IOException;
import java.nio.charset.MalformedInputException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.util.EnumSet;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Reads bearer tokens ({@link Token}) in the two forms {@code keel serve} accepts.
 *
 * <p>Token file ({@code --token-file}), UTF-8, one token per line:
 * <pre>
 * # who uses it, when it was issued ...
 * 3f9c0a7e4b1d2c8e9f0a1b2c3d4e5f60   read-write
 * 0d1e2f3a4b5c6d7e8f9a0b1c2d3e4f5a   read-only    # dashboards
 * 9a8b7c6d5e4f3a2b1c0d9e8f7a6b5c4d                # unmarked: read-write
 * </pre>
 * Blank lines are ignored; {@code #} starts a comment at the start of a line or after a space.
 *
 * <p>Environment ({@code KEEL_TOKENS}): comma-separated {@code token}, {@code token:read-only} or
 * {@code token:read-write}, for example {@code KEEL_TOKENS=3f9c...:read-write,0d1e...:read-only}.
 *
 * <p>Rules: a token is at least 16 characters of visible ASCII (what fits in an HTTP header;
 * {@code openssl rand -hex 32} makes a good one) with no {@code #} or {@code ,}; a token appears
 * once. Errors name the file and line, or the entry's position, and never repeat the token.
 * {@link #read} warns (log) when the file may be read by other users than its owner.
 */
public final class TokenFile {
    /** The environment variable holding tokens. */
    public static final String ENV = "KEEL_TOKENS";
    private static final Logger LOG = LoggerFactory.getLogger(TokenFile.class);

    private TokenFile() {
    }

    /**
     * The tokens of a token file (at least one: a file without any is an error, since it would
     * silently leave the server without authentication).
     *
     * @throws IllegalArgumentException the file cannot be read or a line is wrong (naming the line)
     */
    public static Set<Token> read(Path file) {
        List<String> lines;
        try {
            lines = Files.readAllLines(file, StandardCharsets.UTF_8);
        } catch (NoSuchFileException e) {
            throw new IllegalArgumentException("token file " + file + " does not exist");
        } catch (MalformedInputException e) {
            throw new IllegalArgumentException("token file " + file + " is not UTF-8 text");
        } catch (IOException e) {
            throw new IllegalArgumentException("cannot read token file " + file + ": " + e.getMessage(), e);
        }
        permissionProblem(file).ifPresent(LOG::warn);
        Set<Token> tokens = parseLines(lines, "token file " + file);
        if (tokens.isEmpty()) {
            throw new IllegalArgumentException("token file " + file + " holds no token; add lines '<token>"
                    + " [read-only|read-write]' (make a token with `openssl rand -hex 32`)");
        }
        return tokens;
    }

    /**
     * The tokens of the lines of a token file; {@code source} names the file in errors.
     *
     * @throws IllegalArgumentException a line is wrong
     */
    public static Set<Token> parseLines(List<String> lines, String source) {
        Set<Token> tokens = new LinkedHashSet<>();
        Map<String, Integer> seen = new HashMap<>();
        for (int i = 0; i < lines.size(); i++) {
            String line = stripComment(lines.get(i)).strip();
            if (line.isEmpty()) {
                continue;
            }
            String where = source + " line " + (i + 1);
            String[] words = line.split("\\s+");
            if (words.length > 2) {
                throw new IllegalArgumentException(where + ": expected '<token> [read-only|read-write]' but found "
                        + words.length + " words (a token has no spaces; comments start with '#')");
            }
            Token t = token(words[0], words.length == 2 ? words[1] : "read-write", where);
            Integer earlier = seen.putIfAbsent(t.secret(), i + 1);
            if (earlier != null) {
                throw new IllegalArgumentException(where + ": the same token as on line " + earlier
                        + "; list each token once");
            }
            tokens.add(t);
        }
        return tokens;
    }

    /**
     * The tokens of {@code KEEL_TOKENS}'s value; none when {@code value} is null or blank.
     *
     * @throws IllegalArgumentException an entry is wrong (naming its position), or the value is set
     *         but holds no token
     */
    public static Set<Token> parseEnv(String value) {
        Set<Token> tokens = new LinkedHashSet<>();
        if (value == null || value.isBlank()) {
            return tokens;
        }
        Map<String, Integer> seen = new HashMap<>();
        String[] entries = value.split(",", -1);
        for (int i = 0; i < entries.length; i++) {
            String entry = entries[i].strip();
            if (entry.isEmpty()) {
                continue;
            }
            String where = ENV + " entry " + (i + 1);
            String secret = entry;
            String access = "read-write";
            int colon = entry.lastIndexOf(':');
            if (colon >= 0) {
                secret = entry.substring(0, colon);
                access = entry.substring(colon + 1);
            }
            Token t = token(secret, access, where);
            Integer earlier = seen.putIfAbsent(t.secret(), i + 1);
            if (earlier != null) {
                throw new IllegalArgumentException(where + ": the same token as entry " + earlier + "; list each token"
                        + " once");
            }
            tokens.add(t);
        }
        if (tokens.isEmpty()) {
            throw new IllegalArgumentException(ENV + " is set but holds no token; unset it or give comma-separated"
                    + " 'token' or 'token:read-only' entries");
        }
        return tokens;
    }

    /**
     * A warning when {@code file} can be read by its group or by others (POSIX permissions), or
     * empty (also on file systems without POSIX permissions).
     */
    public static Optional<String> permissionProblem(Path file) {
        Set<PosixFilePermission> perms;
        try {
            perms = Files.getPosixFilePermissions(file);
        } catch (UnsupportedOperationException | IOException e) {
            return Optional.empty();
        }
        Set<PosixFilePermission> open = EnumSet.of(PosixFilePermission.GROUP_READ, PosixFilePermission.OTHERS_READ,
                PosixFilePermission.GROUP_WRITE, PosixFilePermission.OTHERS_WRITE);
        open.retainAll(perms);
        if (open.isEmpty()) {
            return Optional.empty();
        }
        return Optional.of("token file " + file + " can be " + (open.contains(PosixFilePermission.OTHERS_READ)
                || open.contains(PosixFilePermission.OTHERS_WRITE) ? "read or changed by every user" : "read or changed"
                + " by its group") + " (" + java.nio.file.attribute.PosixFilePermissions.toString(perms) + "); anyone"
                + " who reads it can use the server's data. Restrict it: chmod 600 " + file);
    }

    private static Token token(String secret, String access, String where) {
        boolean canWrite = switch (access) {
            case "read-write" -> true;
            case "read-only" -> false;
            default -> throw new IllegalArgumentException(where + ": the access after the token is neither read-only"
                    + " nor read-write" + (where.startsWith(ENV) ? " (a token in " + ENV + " cannot contain ':')" : ""));
        };
        for (int i = 0; i < secret.length(); i++) {
            char c = secret.charAt(i);
            if (c < 0x21 || c > 0x7e || c == ',' || c == '#') {
                throw new IllegalArgumentException(where + ": the token has a character that cannot be used (position "
                        + (i + 1) + "); use visible ASCII without '#' or ',', e.g. from `openssl rand -hex 32`");
            }
        }
        try {
            return new Token(secret, canWrite);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(where + ": " + e.getMessage());
        }
    }

    /** {@code #} at the start of the line or after whitespace starts a comment. */
    private static String stripComment(String line) {
        for (int i = 0; i < line.length(); i++) {
            if (line.charAt(i) == '#' && (i == 0 || Character.isWhitespace(line.charAt(i - 1)))) {
                return line.substring(0, i);
            }
        }
        return line;
    }
}

package dev.keel.cli;

import dev.keel.server.ServerConfig.Token;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

/**
 * The bearer tokens of {@code keel serve}, in the two forms of the server contract:
 * <ul>
 *   <li>a token file ({@code --token-file}): one {@code <token> [read-only|read-write]} per line
 *       (read-write when left out), blank lines and {@code #} comments ignored;</li>
 *   <li>the environment variable {@code KEEL_TOKENS}: comma-separated {@code token} or
 *       {@code token:read-only} ({@code token:read-write} too).</li>
 * </ul>
 * Errors name the file and line (or the variable and entry) but never echo a token.
 */
final class ServeTokens {
    static final String ENV = "KEEL_TOKENS";

    private ServeTokens() {
    }

    /** The tokens of a token file; at least one, else an error (a file with none would silently disable auth). */
    static Set<Token> fromFile(Path file) {
        List<String> lines;
        try {
            lines = Files.readAllLines(file, StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new IllegalArgumentException("--token-file " + file + ": cannot read it ("
                    + (Files.exists(file) ? e.getMessage() : "no such file") + ")");
        }
        Set<Token> tokens = new LinkedHashSet<>();
        for (int i = 0; i < lines.size(); i++) {
            String line = stripComment(lines.get(i)).strip();
            if (line.isEmpty()) {
                continue;
            }
            String where = "--token-file " + file + " line " + (i + 1);
            String[] parts = line.split("\\s+");
            if (parts.length > 2) {
                throw new IllegalArgumentException(where + ": expected '<token> [read-only|read-write]', found "
                        + parts.length + " words");
            }
            tokens.add(token(parts[0], parts.length == 2 ? parts[1] : "read-write", where));
        }
        if (tokens.isEmpty()) {
            throw new IllegalArgumentException("--token-file " + file + " holds no token; add lines"
                    + " '<token> [read-only|read-write]' (generate a token with `openssl rand -hex 32`)");
        }
        return tokens;
    }

    /** The tokens of {@code KEEL_TOKENS}'s value; none for null or blank. */
    static Set<Token> fromEnv(String value) {
        Set<Token> tokens = new LinkedHashSet<>();
        if (value == null || value.isBlank()) {
            return tokens;
        }
        List<String> entries = new ArrayList<>(List.of(value.split(",", -1)));
        for (int i = 0; i < entries.size(); i++) {
            String entry = entries.get(i).strip();
            if (entry.isEmpty()) {
                continue;
            }
            int colon = entry.lastIndexOf(':');
            String access = "read-write";
            String secret = entry;
            if (colon >= 0 && isAccess(entry.substring(colon + 1))) {
                access = entry.substring(colon + 1);
                secret = entry.substring(0, colon);
            }
            tokens.add(token(secret, access, ENV + " entry " + (i + 1)));
        }
        return tokens;
    }

    private static boolean isAccess(String s) {
        return s.equals("read-only") || s.equals("read-write");
    }

    private static Token token(String secret, String access, String where) {
        if (!isAccess(access)) {
            throw new IllegalArgumentException(where + ": '" + access + "' is not an access level; expected read-only"
                    + " or read-write");
        }
        if (!secret.chars().allMatch(c -> c > 0x20 && c < 0x7f)) {
            throw new IllegalArgumentException(where + ": a token must be visible ASCII characters");
        }
        try {
            return new Token(secret, access.equals("read-write"));
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(where + ": " + e.getMessage(), e);
        }
    }

    /** The line without a {@code #} comment (a {@code #} at the start or after white space). */
    private static String stripComment(String line) {
        for (int i = 0; i < line.length(); i++) {
            if (line.charAt(i) == '#' && (i == 0 || Character.isWhitespace(line.charAt(i - 1)))) {
                return line.substring(0, i);
            }
        }
        return line;
    }
}

package dev.keel.server.ops;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.keel.server.ServerConfig.Token;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class TokenFileTest {
    static final String A = "aaaaaaaaaaaaaaaa1";
    static final String B = "bbbbbbbbbbbbbbbb2";
    static final String C = "cccccccccccccccc3";

    @TempDir
    Path tmp;

    @Test
    void readsTokensAccessAndComments() throws IOException {
        Path f = tmp.resolve("tokens");
        Files.writeString(f, "# issued 2024-05-01\n\n" + A + "  read-write\n" + B + "\tread-only   # dashboards\n"
                + C + "\n   \n");
        Files.setPosixFilePermissions(f, PosixFilePermissions.fromString("rw-------"));
        assertEquals(Set.of(new Token(A, true), new Token(B, false), new Token(C, true)), TokenFile.read(f));
        assertTrue(TokenFile.permissionProblem(f).isEmpty());
    }

    @Test
    void errorsNameTheLineAndNeverTheToken() {
        assertError(List.of("# c", A + " read-only extra"), "line 2", "3 words");
        assertError(List.of(A + " admin"), "line 1", "neither read-only nor read-write");
        assertError(List.of("", "short read-only"), "line 2", "at least 16 characters");
        assertError(List.of(A, B, A + " read-only"), "line 3", "same token as on line 1");
        assertError(List.of("aaaaaaaaaaaaaaaa\u00e9bc"), "line 1", "cannot be used (position 17)");
        assertError(List.of("aaaaaaaaaaaaaaaa,b"), "line 1", "cannot be used");
    }

    private static void assertError(List<String> lines, String where, String what) {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> TokenFile.parseLines(lines, "token file t"));
        assertTrue(e.getMessage().startsWith("token file t " + where + ":"), e.getMessage());
        assertTrue(e.getMessage().contains(what), e.getMessage());
        for (String line : lines) {
            String token = line.split("\\s+")[0];
            if (token.length() >= 16) {
                assertFalse(e.getMessage().contains(token), "the token is not repeated: " + e.getMessage());
            }
        }
    }

    @Test
    void aFileWithoutTokensOrMissingIsAnError() throws IOException {
        Path f = tmp.resolve("empty");
        Files.writeString(f, "# nothing yet\n");
        assertTrue(assertThrows(IllegalArgumentException.class, () -> TokenFile.read(f)).getMessage()
                .contains("holds no token"));
        assertTrue(assertThrows(IllegalArgumentException.class, () -> TokenFile.read(tmp.resolve("none")))
                .getMessage().contains("does not exist"));
    }

    @Test
    void warnsWhenOthersCanReadTheFile() throws IOException {
        Path f = tmp.resolve("tokens");
        Files.writeString(f, A + "\n");
        Files.setPosixFilePermissions(f, PosixFilePermissions.fromString("rw-r--r--"));
        String warning = TokenFile.permissionProblem(f).orElseThrow();
        assertTrue(warning.contains("every user") && warning.contains("chmod 600"), warning);
        Files.setPosixFilePermissions(f, PosixFilePermissions.fromString("rw-r-----"));
        assertTrue(TokenFile.permissionProblem(f).orElseThrow().contains("its group"));
        assertEquals(Set.of(new Token(A, true)), TokenFile.read(f), "a warning, not an error");
    }

    @Test
    void readsTheEnvironmentForm() {
        assertEquals(Set.of(), TokenFile.parseEnv(null));
        assertEquals(Set.of(), TokenFile.parseEnv("  "));
        assertEquals(Set.of(new Token(A, true), new Token(B, false), new Token(C, true)),
                TokenFile.parseEnv(A + ", " + B + ":read-only,," + C + ":read-write"));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> TokenFile.parseEnv(A + "," + B + ":admin"));
        assertTrue(e.getMessage().startsWith("KEEL_TOKENS entry 2:"), e.getMessage());
        assertTrue(e.getMessage().contains("cannot contain ':'"), e.getMessage());
        assertTrue(assertThrows(IllegalArgumentException.class, () -> TokenFile.parseEnv("short")).getMessage()
                .startsWith("KEEL_TOKENS entry 1: a token must have at least 16"));
        assertTrue(assertThrows(IllegalArgumentException.class, () -> TokenFile.parseEnv(A + "," + A)).getMessage()
                .contains("same token as entry 1"));
        assertTrue(assertThrows(IllegalArgumentException.class, () -> TokenFile.parseEnv(" , ")).getMessage()
                .contains("holds no token"));
    }
}

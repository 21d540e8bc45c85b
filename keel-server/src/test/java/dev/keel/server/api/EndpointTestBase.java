package dev.keel.server.api;

import dev.keel.server.ServerFixture;
import java.nio.file.Path;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.io.TempDir;

/**
 * Base of the endpoint tests: each test gets its own {@link ApiServer} (Company, Person, Note stored
 * in {@code dir/db}) as {@link #s}, closed after it. A test may close {@code s} and assign another.
 */
abstract class EndpointTestBase {
    @TempDir
    Path dir;
    ServerFixture s;

    @BeforeEach
    void start() {
        s = ApiServer.start(dir.resolve("db"));
    }

    @AfterEach
    void stop() {
        s.close();
    }
}

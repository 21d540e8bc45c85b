package dev.keel.server;

import dev.keel.KeelOptions;
import java.util.List;
import java.util.function.UnaryOperator;

/**
 * Starts a server with extra database options (a boot listener, ...) and extra route modules, for
 * tests in other packages: the hook behind it is package-private in {@link KeelServer}.
 */
public final class TestServers {
    private TestServers() {
    }

    public static KeelServer start(ServerConfig config, UnaryOperator<KeelOptions.Builder> options,
            RouteModule... modules) {
        return KeelServer.start(config, options, List.of(modules));
    }
}

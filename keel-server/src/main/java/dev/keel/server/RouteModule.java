package dev.keel.server;

import io.javalin.config.JavalinConfig;

/** One group of endpoints (and the before/after handlers they need), added to the server at start. */
public interface RouteModule {

    /** Adds this module's routes and handlers to {@code config}. */
    void register(JavalinConfig config, ServerContext context);
}

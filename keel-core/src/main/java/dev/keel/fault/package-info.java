/**
 * Crash points: the named, stable places in the engine where a test can stop the world. The
 * engine announces each place it passes to a {@link dev.keel.fault.CrashHook} (a no-op unless one
 * is set with {@code KeelOptions.Builder.crashHook}); the testkit's {@code CrashInjector} turns a
 * chosen announcement into a simulated power loss. Nothing here is meant for production use.
 */
package dev.keel.fault;

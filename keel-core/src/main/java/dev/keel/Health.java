package dev.keel;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The health of a database at one instant, as {@link KeelDb#health()} and {@link KeelBoot#health()}
 * report it: an overall status, the Kubernetes probe answers, and a status with a detail per
 * component.
 *
 * <p>Status: {@code HEALTHY} when every component is; {@code DEGRADED} when the database works but
 * a non-critical part does not (little free disk, slow syncs, recovery would take longer than its
 * budget, heap over budget, an unfit file system, derived state failing); {@code UNHEALTHY} when it
 * cannot serve reliably (still opening, failed to open, storage FAILED, closed).
 *
 * <p>Probes: {@link #ready()} is true only in {@link BootPhase#READY} and not {@code UNHEALTHY}.
 * {@link #live()} is false only for a database whose storage failed after it was ready (a failed
 * log sync: the process should be restarted, and reopening recovers every acknowledged commit);
 * it stays true while opening and when opening refused (for example over corruption), where a
 * restart would not help and would only loop.
 *
 * <p>Components: {@code storage} (open, read-only, FAILED and why), {@code log} (writable, free disk
 * space, sync latency), {@code checkpoint} (age, log bytes since the last one, projected recovery
 * time against the recovery budget), {@code memory} (heap used against the budget),
 * {@code filesystem} (the self-check made at open: directory sync, file locking, file system type,
 * free space), and {@code boot} while opening or after a failed open.
 *
 * @param status the worst status of any component
 * @param phase the boot phase
 * @param live the answer to a liveness probe
 * @param ready the answer to a readiness probe
 * @param uptime time since opening began
 * @param components each component's health, in the order above
 */
public record Health(Status status, BootPhase phase, boolean live, boolean ready, Duration uptime,
        List<Component> components) {

    public Health {
        components = List.copyOf(components);
    }

    /** The component named {@code name}, if reported. */
    public Optional<Component> component(String name) {
        return components.stream().filter(c -> c.name().equals(name)).findFirst();
    }

    /** Overall and per-component status. */
    public enum Status {
        HEALTHY,
        DEGRADED,
        UNHEALTHY;

        /** The worse of the two. */
        public Status worst(Status other) {
            return other.ordinal() > ordinal() ? other : this;
        }
    }

    /**
     * One component.
     *
     * @param name the component's name
     * @param status its status
     * @param detail a sentence for humans; says what to do when not healthy
     * @param values measurements (numbers, strings, booleans) by name, for dashboards
     */
    public record Component(String name, Status status, String detail, Map<String, Object> values) {
        public Component {
            values = java.util.Collections.unmodifiableMap(new java.util.LinkedHashMap<>(values));
        }
    }
}

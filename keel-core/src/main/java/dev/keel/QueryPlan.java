package dev.keel;

import java.util.List;

/**
 * How a {@link Query} runs, as {@link Snapshot#explain} tells it: the index read (or none: a scan
 * of every entity of the type), the conditions the index answers, the conditions checked on each
 * entity read, and whether the results are sorted after reading (else they come in index or id
 * order and the limit stops the read early).
 *
 * @param type the entity type
 * @param index the index read, or {@code null} when the type is scanned
 * @param indexConditions the conditions the index bounds
 * @param filters the conditions the index does not bound, checked on each entity read (every
 *        condition is checked again there, so an index only narrows the read)
 * @param sorted whether results are collected and sorted (an order no index provides)
 * @param description one line, e.g. {@code INDEX User.by_tenant_name (tenant = "acme", name starts
 *        with "Ad") ORDER BY name LIMIT 20} or {@code SCAN User (no index on age) FILTER age > 30}
 */
public record QueryPlan(String type, String index, List<String> indexConditions, List<String> filters, boolean sorted,
        String description) {

    /** Whether an index answers the query (else every entity of the type is read). */
    public boolean usesIndex() {
        return index != null;
    }

    @Override
    public String toString() {
        return description;
    }
}

package dev.keel;

import java.time.Duration;
import java.util.Map;

/**
 * What opening the database cost and did, for metrics and dashboards.
 *
 * @param phaseDurations time spent in each phase of opening that ran, in order
 * @param recordsReplayed log records applied on top of the checkpoint
 * @param bytesRead checkpoint and log bytes read
 * @param checkpointBytesLoaded bytes of the checkpoint loaded (0 when none)
 * @param tailsRepaired torn log tails cut
 * @param recordsQuarantined damaged regions and discarded records whose bytes went to
 *        {@code quarantine/} (or would have, in READ_ONLY mode)
 * @param transactionsRolledBack transactions without a commit record, discarded
 * @param replayBytesPerSecond the measured log replay rate, or 0 when too little log was replayed to
 *        measure it
 */
public record BootMetrics(Map<BootPhase, Duration> phaseDurations, long recordsReplayed, long bytesRead,
        long checkpointBytesLoaded, long tailsRepaired, long recordsQuarantined, long transactionsRolledBack,
        double replayBytesPerSecond) {

    public BootMetrics {
        phaseDurations = java.util.Collections.unmodifiableMap(new java.util.LinkedHashMap<>(phaseDurations));
    }
}

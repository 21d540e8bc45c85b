package dev.keel;

import java.time.Duration;

/**
 * Where an open is: a snapshot taken at one instant, safe to read from any thread. Work is counted
 * in bytes (checkpoint loaded in {@code MIGRATE}, log read in the recovery phase) and in log records
 * replayed; totals are known once the files were listed (bytes) and the log was scanned (records).
 *
 * @param phase the current phase
 * @param percent overall progress of opening, 0 to 100 (100 once {@code READY})
 * @param recordsDone log records replayed so far
 * @param recordsTotal log records to replay, -1 until the log was scanned
 * @param bytesDone checkpoint and log bytes read so far
 * @param bytesTotal checkpoint and log bytes to read, -1 until the files were listed
 * @param elapsed time since the open began
 * @param phaseElapsed time spent in the current phase
 * @param remainingBudget what is left of the current phase's budget ({@code null} when it has none),
 *        negative once exceeded (only possible when budgets only warn)
 * @param estimatedTimeToReady remaining time to {@code READY} extrapolated from the progress so far,
 *        or {@code null} while there is too little progress to tell
 * @param failure why the open failed, when {@code phase} is {@code FAILED}; else {@code null}
 */
public record BootProgress(BootPhase phase, double percent, long recordsDone, long recordsTotal, long bytesDone,
        long bytesTotal, Duration elapsed, Duration phaseElapsed, Duration remainingBudget,
        Duration estimatedTimeToReady, String failure) {
}

package dev.keel;

import java.time.Instant;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.Objects;

/**
 * The answer of {@link KeelDb#writeIdempotent}.
 *
 * @param response  the bytes the work returned on its first run (this call's, or the stored ones
 *                  when replayed); the array is not shared with the database
 * @param replayed  true when the work did not run now: the result is that of an earlier run with the
 *                  same key and request, and nothing was written
 * @param commitLsn the LSN of the commit that wrote the idempotency record together with the work's
 *                  writes: the {@link Entity#version()} of every entity that commit wrote
 * @param createdAt when the first run committed, by {@link KeelOptions#clock()} (taken just before
 *                  its commit)
 */
public record IdempotentResult(byte[] response, boolean replayed, long commitLsn, Instant createdAt) {

    public IdempotentResult {
        Objects.requireNonNull(response, "response");
        Objects.requireNonNull(createdAt, "createdAt");
    }

    /** Equal when every component is, comparing the response by content. */
    @Override
    public boolean equals(Object o) {
        return o instanceof IdempotentResult r && Arrays.equals(response, r.response) && replayed == r.replayed
                && commitLsn == r.commitLsn && createdAt.equals(r.createdAt);
    }

    @Override
    public int hashCode() {
        return Objects.hash(Arrays.hashCode(response), replayed, commitLsn, createdAt);
    }

    @Override
    public String toString() {
        String bytes = response.length <= 32 ? HexFormat.of().formatHex(response)
                : HexFormat.of().formatHex(response, 0, 32) + "...";
        return "IdempotentResult[response=" + response.length + " bytes " + bytes + ", replayed=" + replayed
                + ", commitLsn=" + commitLsn + ", createdAt=" + createdAt + "]";
    }
}

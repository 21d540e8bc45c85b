package dev.keel.internal.wal;

import java.util.zip.CRC32C;

/**
 * Salted CRC32C ({@code Checksums.crc32c(salt, data, from, length)}) of any range of one segment
 * image in time independent of the range's length, so that searching damaged bytes for the next
 * frame costs time linear in the segment size rather than quadratic: every byte of garbage is a
 * candidate frame whose length field may claim most of the rest of the segment.
 *
 * <p>How: CRC is linear over GF(2). With Q(k) the CRC register after bytes [0, k) (initial register
 * all ones, no final inversion) and S the register after the 8 salt bytes,
 * <pre>
 *   register(salt || data[a, b)) = shift(S xor Q(a), b - a) xor Q(b)
 * </pre>
 * where shift(r, n) multiplies r by x^(8n) modulo the CRC polynomial (zlib's crc32_combine idea).
 * Q is kept for every 64th offset and extended byte by byte from there; x^(8n) comes from two
 * tables, one per 64 bytes and one per byte. Memory: two ints per 64 bytes of the segment.
 * Not thread-safe; one instance per scan.
 */
public final class RangeChecksums {
    private static final int POLY = 0x82F63B78; // CRC32C (Castagnoli), reflected
    private static final int STEP = 64;
    private static final int ONE = 0x80000000; // the polynomial 1 (x^0) in reflected form
    private static final int[] TABLE = new int[256];
    /** x^(8r) mod P for r in 0..STEP-1. */
    private static final int[] BYTE_POWERS = new int[STEP];

    static {
        for (int i = 0; i < 256; i++) {
            int c = i;
            for (int k = 0; k < 8; k++) {
                c = (c & 1) != 0 ? (c >>> 1) ^ POLY : c >>> 1;
            }
            TABLE[i] = c;
        }
        BYTE_POWERS[0] = ONE;
        for (int r = 1; r < STEP; r++) {
            BYTE_POWERS[r] = multiply(BYTE_POWERS[r - 1], ONE >>> 8);
        }
    }

    private final byte[] data;
    private final int saltRegister;
    /** Q(STEP * j). */
    private final int[] prefix;
    /** x^(8 * STEP * j) mod P. */
    private final int[] stepPowers;

    /** Indexes bytes [0, length) of {@code data}: one CRC pass over them. */
    public RangeChecksums(byte[] data, int length, long salt) {
        this.data = data;
        CRC32C crc = new CRC32C();
        for (int i = 0; i < 8; i++) {
            crc.update((int) (salt >>> (8 * i)) & 0xFF);
        }
        this.saltRegister = ~(int) crc.getValue();
        int steps = length / STEP + 1;
        this.prefix = new int[steps];
        this.stepPowers = new int[steps];
        crc.reset();
        prefix[0] = ~(int) crc.getValue();
        stepPowers[0] = ONE;
        int stepPower = multiply(BYTE_POWERS[STEP - 1], ONE >>> 8);
        for (int j = 1; j < steps; j++) {
            crc.update(data, (j - 1) * STEP, STEP);
            prefix[j] = ~(int) crc.getValue();
            stepPowers[j] = multiply(stepPowers[j - 1], stepPower);
        }
    }

    /** The salted CRC32C of {@code data[from, to)}; {@code 0 <= from <= to <= length}. */
    public int crc32c(int from, int to) {
        return ~(shift(saltRegister ^ register(from), to - from) ^ register(to));
    }

    /** Q(k): the register after bytes [0, k). */
    private int register(int k) {
        int r = prefix[k / STEP];
        for (int i = k - k % STEP; i < k; i++) {
            r = TABLE[(r ^ data[i]) & 0xFF] ^ (r >>> 8);
        }
        return r;
    }

    /** r * x^(8n) mod P. */
    private int shift(int r, int n) {
        return multiply(stepPowers[n / STEP], multiply(BYTE_POWERS[n % STEP], r));
    }

    /** a * b mod P, reflected; {@code a} must not be zero (powers of x never are). */
    private static int multiply(int a, int b) {
        int m = ONE;
        int p = 0;
        while (true) {
            if ((a & m) != 0) {
                p ^= b;
                if ((a & (m - 1)) == 0) {
                    return p;
                }
            }
            m >>>= 1;
            b = (b & 1) != 0 ? (b >>> 1) ^ POLY : b >>> 1;
        }
    }
}

package dev.keel.internal.codec;

import java.util.zip.CRC32C;

/** CRC32C (hardware-accelerated on x86 and ARM) over byte ranges, optionally seeded with a salt. */
public final class Checksums {
    private Checksums() {
    }

    public static int crc32c(byte[] b, int off, int len) {
        CRC32C crc = new CRC32C();
        crc.update(b, off, len);
        return (int) crc.getValue();
    }

    /** CRC32C of the 8 salt bytes followed by the range: a record only verifies under its salt. */
    public static int crc32c(long salt, byte[] b, int off, int len) {
        CRC32C crc = new CRC32C();
        for (int i = 0; i < 8; i++) {
            crc.update((int) (salt >>> (8 * i)) & 0xFF);
        }
        crc.update(b, off, len);
        return (int) crc.getValue();
    }
}

/** Byte-level encoding: little-endian buffers, varints, CRC32C. No knowledge of files. */
package dev.keel.internal.codec;

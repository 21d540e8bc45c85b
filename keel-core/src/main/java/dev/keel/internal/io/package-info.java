/**
 * The storage seam: {@link dev.keel.internal.io.FileIO} and its production implementation. This is
 * the only package that opens, syncs, renames or truncates files and the only caller of
 * {@code FileChannel.force}; the testkit replaces it with a fault-injecting layer.
 */
package dev.keel.internal.io;

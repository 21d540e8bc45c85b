/**
 * The write-ahead log: segment and record format, group-committing writer, preallocation of
 * segments and the scanner recovery uses to find valid frames and damage.
 */
package dev.keel.internal.wal;

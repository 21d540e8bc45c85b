/** Checkpoints: the full-image file format, its atomic writer and its verifying reader. */
package dev.keel.internal.checkpoint;

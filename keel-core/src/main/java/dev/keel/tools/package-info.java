/**
 * Offline tools used by the command line and tests: {@link dev.keel.tools.Verifier} (full read-only
 * check of a database directory, with a verdict and an exit code), {@link dev.keel.tools.Inspector}
 * (what a directory holds, also while another process writes it) and {@link dev.keel.tools.Backups}
 * (online backup from outside the writing process, and verified restore). None of them ever writes
 * to the database directory it reads; they reuse the engine's own scanner and recovery rather than
 * decoding the files a second way.
 */
package dev.keel.tools;

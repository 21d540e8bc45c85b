package dev.keel.tools;

import java.nio.file.Path;
import java.util.List;

/**
 * What {@link Verifier#verify} found: every finding with file and offset, and how much was read.
 *
 * @param directory the database directory
 * @param findings problems and notes, in the order found
 * @param checkpointsRead checkpoint files read in full
 * @param segmentsRead log segments read in full
 * @param bytesRead bytes read from all files
 * @param recordsChecked log records whose checksum and structure were checked
 * @param entitiesChecked entities decoded against their type
 */
public record VerifyReport(Path directory, List<Finding> findings, int checkpointsRead, int segmentsRead,
        long bytesRead, long recordsChecked, long entitiesChecked) {

    public VerifyReport {
        findings = List.copyOf(findings);
    }

    /** The overall verdict: the worst severity found. */
    public Outcome outcome() {
        Outcome worst = Outcome.CLEAN;
        for (Finding f : findings) {
            if (f.severity() == Severity.UNUSABLE) {
                return Outcome.UNUSABLE;
            }
            if (f.severity() == Severity.PROBLEM) {
                worst = Outcome.PROBLEMS;
            }
        }
        return worst;
    }

    /** The exit code of {@code keel verify}: 0 clean, 1 problems found, 2 unusable. */
    public int exitCode() {
        return switch (outcome()) {
            case CLEAN -> 0;
            case PROBLEMS -> 1;
            case UNUSABLE -> 2;
        };
    }

    /** The verdict. */
    public enum Outcome {
        /** Nothing wrong (notes only). */
        CLEAN,
        /** Damage or inconsistencies that READ_ONLY/FORCE recovery or a backup can deal with. */
        PROBLEMS,
        /** The database cannot be opened at all (for example an unknown format version). */
        UNUSABLE
    }

    /** How bad a finding is. */
    public enum Severity {
        /** Worth knowing, not a problem (for example a torn tail NORMAL recovery will cut). */
        NOTE,
        /** Damage or an inconsistency. */
        PROBLEM,
        /** Makes the database unusable. */
        UNUSABLE
    }

    /**
     * One finding.
     *
     * @param severity how bad it is
     * @param file the file it is in, or the directory for findings about the whole database
     * @param offset byte offset in {@code file}, or -1 when not about a position
     * @param message a sentence for humans saying what is wrong and, where there is one, what to do
     */
    public record Finding(Severity severity, Path file, long offset, String message) {
    }
}

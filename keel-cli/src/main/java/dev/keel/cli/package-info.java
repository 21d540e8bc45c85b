/**
 * The {@code keel} command line (picocli): one class per subcommand, {@link dev.keel.cli.KeelCli}
 * as the entry point, {@code ErrorHandler} as the one place failures become exit codes, and the
 * export format ({@code ExportFormat}, {@code ValueCodec}, {@code ImportReader}).
 */
package dev.keel.cli;

package dev.keel.cli;

import dev.keel.ConstraintViolationException;
import dev.keel.KeelDb;
import dev.keel.KeelOptions;
import dev.keel.Transaction;
import java.io.BufferedReader;
import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.ParentCommand;

/**
 * {@code keel import DIR}: reads the JSON Lines of {@code keel export} and inserts every entity with
 * its id, in transactions of {@code --batch-size} lines, every field rule checked on each insert.
 * Stops at the first bad line; the batches committed before it stay, the batch holding it is rolled
 * back.
 *
 * <p>Ordering: entities are inserted in input order (keel export writes referenced types first). An
 * optional reference to an entity that is not there yet (a cycle, a self-reference by a higher id)
 * is left out of the insert and set in a second pass after the last line, in batches of the same
 * size ({@link DeferredReferences}); a required one is inserted as it is.
 */
@Command(name = "import", mixinStandardHelpOptions = true, versionProvider = VersionProvider.class,
        description = {"Import the JSON Lines of keel export into a database.",
            "",
            "Reads the JSON Lines written by keel export and inserts every entity with its id into DIR "
                + "(created if absent), declaring the header's entity types. Commits every --batch-size lines. "
                + "Checks every field rule (required, unique, min/max, length, pattern, oneOf) on each insert. "
                + "References to entities that come later in the input (cycles, self-references) are set in a "
                + "second pass after the last line. Stops at the first bad line (malformed JSON, unknown type or "
                + "field, wrong value type, a value that breaks a rule, duplicate id) and says which batches were "
                + "committed before it."},
        footerHeading = "%nExamples:%n",
        footer = {"  keel import new-data --input keel-data.jsonl",
            "  gunzip -c keel-data.jsonl.gz | keel import new-data --batch-size 5000"},
        exitCodeListHeading = ExitCodes.HEADING,
        exitCodeList = {ExitCodes.L_OK, "1:a bad input line (stderr names it and what was committed before it)",
            "2:the header's types conflict with the schema stored in DIR, or DIR is damaged", ExitCodes.L_LOCKED,
            "4:DIR is a non-empty directory that is not a KeelDB database", ExitCodes.L_IO, ExitCodes.L_USAGE,
            ExitCodes.L_INTERNAL})
final class ImportCommand extends KeelCommand {
    @ParentCommand
    KeelCli parent;

    @Parameters(index = "0", paramLabel = "DIR", description = "the database directory (created if absent)")
    Path dir;

    @Option(names = {"-i", "--input"}, paramLabel = "FILE", description = "read FILE instead of stdin")
    Path input;

    @Option(names = "--batch-size", paramLabel = "N", defaultValue = "1000",
            description = "lines per transaction (default: ${DEFAULT-VALUE})")
    int batchSize;

    private long line;
    private long committedThrough = 1;
    private long committed;
    /** References set after the last line (see {@link DeferredReferences}); null before the header is read. */
    private DeferredReferences deferred;
    /** How many of {@link #deferred} were in committed batches of the first pass. */
    private int deferredCommitted;
    /** Whether the first pass is over: the second sets the deferred references. */
    private boolean secondPass;
    /** How many of {@link #deferred} the second pass has committed. */
    private int referencesSet;
    private final Map<String, Long> perType = new LinkedHashMap<>();
    /** Per type, the optional fields with a default: absent from a line means it was cleared (null). */
    private final Map<String, java.util.List<String>> optionalWithDefault = new java.util.HashMap<>();

    @Override
    public Integer call() throws IOException {
        if (batchSize < 1) {
            throw new ParameterException(spec.commandLine(), "--batch-size must be at least 1, was " + batchSize);
        }
        if (input != null && !Files.isRegularFile(input)) {
            throw new ParameterException(spec.commandLine(), "--input " + input + ": no such file");
        }
        if (Files.isDirectory(dir) && !DatabaseDirectory.isDatabase(dir)) {
            DatabaseDirectory.requireEmptyOrAbsent(dir, true, "database directory", ExitCodes.NOT_A_DATABASE);
        }
        long start = System.nanoTime();
        long total = input == null ? -1 : Files.size(input);
        try (CountingInputStream in = new CountingInputStream(input == null ? parent.stdin()
                : Files.newInputStream(input));
                BufferedReader reader = new BufferedReader(new InputStreamReader(in, StandardCharsets.UTF_8.newDecoder()
                        .onMalformedInput(CodingErrorAction.REPORT).onUnmappableCharacter(CodingErrorAction.REPORT)),
                        1 << 16);
                Progress progress = Progress.start(err(), "imported", total, true)) {
            ImportReader decoder = new ImportReader();
            ImportReader.Header header = decoder.header(require(next(reader), "missing header: the input is empty"));
            KeelOptions.Builder options = KeelOptions.builder().bootBudgets(dev.keel.BootBudgets.unlimited());
            header.types().forEach(options::entityType);
            KeelOptions built;
            try {
                built = options.build();
            } catch (IllegalArgumentException e) {
                throw new BadInput("header: " + e.getMessage());
            }
            header.types().forEach(t -> perType.put(t.name(), 0L));
            for (dev.keel.EntityType t : header.types()) {
                java.util.List<String> defaulted = new java.util.ArrayList<>();
                for (dev.keel.Field f : t.fields()) {
                    if (f.defaultValue() != null && !f.isRequired()) {
                        defaulted.add(f.name());
                    }
                }
                optionalWithDefault.put(t.name(), defaulted);
            }
            deferred = new DeferredReferences(header.types());
            try (KeelDb db = KeelDb.open(dir, built)) {
                load(db, decoder, reader, in, progress);
                secondPass = true;
                setDeferredReferences(db);
            }
        } catch (BadInput e) {
            throw new CliException(ExitCodes.PROBLEMS, "line " + line + ": " + e.getMessage(), secondPass
                    ? secondPassNote() : committedNote());
        } catch (CharacterCodingException e) {
            throw new CliException(ExitCodes.PROBLEMS, "line " + (line + 1) + ": not valid UTF-8 (" + e + ")",
                    committedNote());
        }
        out().printf("imported %,d entities (%s) from %s into %s in %s%s%n", committed, perTypeText(),
                input == null ? "stdin" : input, dir, Format.seconds(System.nanoTime() - start),
                referencesSet == 0 ? "" : String.format("; %,d reference%s to later lines set in a second pass",
                        referencesSet, referencesSet == 1 ? "" : "s"));
        return ExitCodes.OK;
    }

    private void load(KeelDb db, ImportReader decoder, BufferedReader reader, CountingInputStream in,
            Progress progress) throws IOException, BadInput {
        Map<String, Long> pending = new LinkedHashMap<>();
        Transaction tx = db.begin();
        try {
            int inBatch = 0;
            for (String text = next(reader); text != null; text = next(reader)) {
                ImportReader.Row row = decoder.entity(text);
                try {
                    tx.insert(row.type(), row.id(), deferred.withoutForwardReferences(tx, row, line));
                    clearAbsentDefaults(tx, row);
                } catch (ConstraintViolationException | IllegalArgumentException e) {
                    throw new BadInput(row.type() + "#" + row.id() + ": " + message(e));
                }
                pending.merge(row.type(), 1L, Long::sum);
                if (++inBatch == batchSize) {
                    tx.commit();
                    tx.close();
                    commit(pending, inBatch);
                    inBatch = 0;
                    progress.update(in.count(), committed);
                    tx = db.begin();
                }
            }
            tx.commit();
            commit(pending, inBatch);
            progress.update(in.count(), committed);
        } finally {
            tx.close();
        }
    }

    /**
     * Insert fills a field's default when it is absent; an exported entity lacks a field with a
     * default only when it was cleared to null, so it is cleared again (same transaction).
     */
    private void clearAbsentDefaults(Transaction tx, ImportReader.Row row) {
        Map<String, Object> cleared = null;
        for (String field : optionalWithDefault.getOrDefault(row.type(), java.util.List.of())) {
            if (!row.values().containsKey(field)) {
                if (cleared == null) {
                    cleared = new java.util.HashMap<>();
                }
                cleared.put(field, null);
            }
        }
        if (cleared != null) {
            tx.update(row.type(), row.id(), cleared);
        }
    }

    /** The second pass: sets the references {@link #load} left out, in batches; a failure names the entity's line. */
    private void setDeferredReferences(KeelDb db) throws BadInput {
        for (int from = 0; from < deferred.size(); from += batchSize) {
            int to = (int) Math.min(deferred.size(), (long) from + batchSize);
            try (Transaction tx = db.begin()) {
                for (int i = from; i < to; i++) {
                    line = deferred.line(i);
                    String type = deferred.type(i);
                    try {
                        tx.update(type, deferred.id(i), Map.of(deferred.field(i), deferred.target(i)));
                    } catch (ConstraintViolationException | IllegalArgumentException e) {
                        throw new BadInput(type + "#" + deferred.id(i) + ": " + message(e));
                    }
                }
                tx.commit();
            }
            referencesSet = to;
        }
    }

    /** The message of a rejected write, without the error code of a {@link dev.keel.KeelException}. */
    private static String message(RuntimeException e) {
        String m = String.valueOf(e.getMessage());
        String code = e instanceof dev.keel.KeelException k ? "[" + k.code() + "] " : "";
        return m.startsWith(code) ? m.substring(code.length()) : m;
    }

    private void commit(Map<String, Long> pending, int lines) {
        deferredCommitted = deferred.size();
        committed += lines;
        committedThrough = line;
        pending.forEach((t, n) -> perType.merge(t, n, Long::sum));
        pending.clear();
    }

    private String next(BufferedReader reader) throws IOException, BadInput {
        String text = reader.readLine();
        if (text != null) {
            line++;
            if (text.isBlank()) {
                throw new BadInput("empty line (each line must hold one JSON object)");
            }
        }
        return text;
    }

    private String require(String text, String problem) throws BadInput {
        if (text == null) {
            line++;
            throw new BadInput(problem);
        }
        return text;
    }

    private String secondPassNote() {
        return String.format("every line was read and its entities committed (%,d entities: %s); of the %,d"
                + " references to later lines, which are set after the last line, %,d were set and the rest are not."
                + " To finish: fix line %d and import the whole input again into an empty directory", committed,
                perTypeText(), deferred.size(), referencesSet, line);
    }

    private String committedNote() {
        if (deferredCommitted > 0) {
            return String.format("batches up to line %d were committed (%,d entities: %s), but %,d of their references"
                    + " point to later lines and were to be set after the last line, so they are not set; nothing"
                    + " after line %d was read. To finish: fix line %d and import the whole input again into an empty"
                    + " directory", committedThrough, committed, perTypeText(), deferredCommitted, line, line);
        }
        if (committed == 0) {
            return "nothing was committed" + (line > 2 ? " (lines 2-" + (line - 1) + " were in the batch that was"
                    + " rolled back)" : "") + "; fix line " + line + " and run the import again";
        }
        return String.format("the %d lines before it were read: batches up to line %d were committed (%,d entities:"
                + " %s)%s; nothing after line %d was read. To finish: fix line %d, then import the header plus"
                + " lines %d onwards into %s", line - 1, committedThrough, committed, perTypeText(),
                committedThrough == line - 2 ? ", line " + (line - 1) + " was rolled back"
                        : committedThrough < line - 2 ? ", lines " + (committedThrough + 1) + "-" + (line - 1)
                        + " were rolled back" : "", line, line, committedThrough + 1, dir);
    }

    private String perTypeText() {
        StringBuilder sb = new StringBuilder();
        perType.forEach((t, n) -> sb.append(sb.length() == 0 ? "" : ", ").append(t).append(' ').append(n));
        return sb.length() == 0 ? "no types" : sb.toString();
    }

    /** Counts the bytes read, for progress against the input file's size. */
    private static final class CountingInputStream extends FilterInputStream {
        private long count;

        CountingInputStream(InputStream in) {
            super(in);
        }

        long count() {
            return count;
        }

        @Override
        public int read() throws IOException {
            int b = super.read();
            count += b >= 0 ? 1 : 0;
            return b;
        }

        @Override
        public int read(byte[] b, int off, int len) throws IOException {
            int n = super.read(b, off, len);
            count += Math.max(n, 0);
            return n;
        }
    }
}

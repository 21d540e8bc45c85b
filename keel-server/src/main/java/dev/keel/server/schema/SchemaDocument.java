package dev.keel.server.schema;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonLocation;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.JsonStreamContext;
import com.fasterxml.jackson.core.StreamReadConstraints;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import com.fasterxml.jackson.dataformat.yaml.YAMLGenerator;
import com.fasterxml.jackson.dataformat.yaml.YAMLMapper;
import dev.keel.EntityType;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Objects;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.yaml.snakeyaml.error.MarkedYAMLException;

/**
 * The schema document: entity types as JSON or YAML, with the keys of the CLI export header's
 * {@code "types"} (keel-cli {@code ExportFormat}) plus {@code renamedFrom}:
 *
 * <pre>
 * types:
 *   - name: Person
 *     renamedFrom: People                       # optional: a rename keeps the type's entities
 *     fields:
 *       - {name: email, type: TEXT, required: true, unique: true, pattern: "[^@]+@[^@]+"}
 *       - {name: age, type: INT, min: 0, max: 150}
 *       - {name: employer, type: REFERENCE, target: Company, onDelete: CASCADE}
 *     indexes:
 *       - {name: by_age, fields: [age]}
 * </pre>
 *
 * Reading is strict and reports every error at once ({@link SchemaDocumentException}, each error with
 * its path such as {@code types[1].fields[2].min} and what to write instead); see
 * {@link SchemaReader} for the rules and {@code docs/server-schema.md} for the format. The types read
 * are those keel-cli's import rebuilds from the same keys, and writing is the inverse: for every valid
 * type {@code t}, {@code read(write(t))} equals {@code t} ({@link EntityType#equals}), and for every
 * document {@code d}, {@code read(write(read(d)))} equals {@code read(d)}.
 *
 * <p>Parsing is bounded by the given JSON limits (nesting depth, string length), also for YAML;
 * duplicate keys and trailing content (a second YAML document) are errors. Thread-safe.
 */
public final class SchemaDocument {
    /** The two encodings of a schema document. */
    public enum Format {
        JSON("application/json"),
        YAML("application/yaml");

        private final String mediaType;

        Format(String mediaType) {
            this.mediaType = mediaType;
        }

        /** The media type to answer with. */
        public String mediaType() {
            return mediaType;
        }

        /**
         * The format of a file by its extension: {@code .json}, or {@code .yaml}/{@code .yml}.
         *
         * @throws IllegalArgumentException any other extension
         */
        public static Format ofFile(Path file) {
            String name = file.getFileName().toString().toLowerCase(Locale.ROOT);
            if (name.endsWith(".json")) {
                return JSON;
            }
            if (name.endsWith(".yaml") || name.endsWith(".yml")) {
                return YAML;
            }
            throw new IllegalArgumentException("schema file " + file + ": cannot tell JSON from YAML by its name; name"
                    + " it *.json, *.yaml or *.yml");
        }

        /**
         * The format of an HTTP body by its {@code Content-Type} (parameters such as charset ignored):
         * {@code application/json}, or {@code application/yaml}, {@code application/x-yaml},
         * {@code text/yaml}; empty for anything else.
         */
        public static Optional<Format> ofMediaType(String contentType) {
            if (contentType == null) {
                return Optional.empty();
            }
            int semi = contentType.indexOf(';');
            String type = (semi < 0 ? contentType : contentType.substring(0, semi)).trim().toLowerCase(Locale.ROOT);
            return switch (type) {
                case "application/json" -> Optional.of(JSON);
                case "application/yaml", "application/x-yaml", "text/yaml" -> Optional.of(YAML);
                default -> Optional.empty();
            };
        }
    }

    private static final Pattern DUPLICATE_KEY = Pattern.compile("^Duplicate field '([^']*)'");

    private final ObjectMapper json;
    private final ObjectMapper yaml;
    private final ObjectMapper yamlWriter;

    /** Parses with the limits of {@code limits}' factory (the server's strict mapper). */
    public SchemaDocument(ObjectMapper limits) {
        StreamReadConstraints c = limits.getFactory().streamReadConstraints();
        this.json = JsonMapper.builder(JsonFactory.builder().streamReadConstraints(c).build())
                .enable(DeserializationFeature.FAIL_ON_READING_DUP_TREE_KEY)
                .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS)
                .enable(SerializationFeature.INDENT_OUTPUT).build();
        this.yaml = YAMLMapper.builder(YAMLFactory.builder().streamReadConstraints(c).build())
                .enable(DeserializationFeature.FAIL_ON_READING_DUP_TREE_KEY)
                .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS).build();
        this.yamlWriter = YAMLMapper.builder().disable(YAMLGenerator.Feature.WRITE_DOC_START_MARKER)
                .enable(YAMLGenerator.Feature.MINIMIZE_QUOTES)
                .enable(YAMLGenerator.Feature.ALWAYS_QUOTE_NUMBERS_AS_STRINGS).build();
    }

    /** With Jackson's default limits; for schema files. */
    public SchemaDocument() {
        this(new ObjectMapper());
    }

    /**
     * The types declared by the schema file {@code file} (format by extension), or none when
     * {@code file} is null; what the server declares at start.
     *
     * @throws IllegalArgumentException the file is missing, unreadable, or not a valid document; the
     *         message names the file and every error with its path
     */
    public static List<EntityType> load(Path file) {
        return file == null ? List.of() : new SchemaDocument().readFile(file);
    }

    /**
     * Reads the schema file {@code file}, JSON or YAML by its extension.
     *
     * @throws SchemaDocumentException the document is not valid (every error listed)
     * @throws IllegalArgumentException the file is missing or unreadable, or its extension unknown
     */
    public List<EntityType> readFile(Path file) {
        Objects.requireNonNull(file, "file");
        Format format = Format.ofFile(file);
        byte[] content;
        try {
            content = Files.readAllBytes(file);
        } catch (NoSuchFileException e) {
            throw new IllegalArgumentException("schema file " + file.toAbsolutePath() + " does not exist; check the"
                    + " path (relative paths are from " + Path.of("").toAbsolutePath() + "), or start without a schema"
                    + " file to serve the stored schema", e);
        } catch (IOException e) {
            throw new IllegalArgumentException("schema file " + file.toAbsolutePath() + " cannot be read: " + e, e);
        }
        return read(content, format, "schema file " + file.toAbsolutePath());
    }

    /**
     * Reads a document.
     *
     * @param source names the document in the exception's message (e.g. {@code "the request body"})
     * @throws SchemaDocumentException malformed JSON/YAML, or types that are not valid (every error listed)
     */
    public List<EntityType> read(byte[] content, Format format, String source) {
        JsonNode root;
        try {
            root = (format == Format.JSON ? json : yaml).readTree(content);
        } catch (JsonProcessingException e) {
            throw new SchemaDocumentException(source, List.of(syntaxError(e, format)));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        SchemaReader reader = new SchemaReader();
        List<EntityType> types = reader.read(root);
        if (!reader.errors().isEmpty()) {
            throw new SchemaDocumentException(source, reader.errors());
        }
        return types;
    }

    /** Reads a document from text. See {@link #read(byte[], Format, String)}. */
    public List<EntityType> read(String content, Format format) {
        return read(content.getBytes(java.nio.charset.StandardCharsets.UTF_8), format, "the schema document");
    }

    /** The document of {@code types} as a JSON tree. */
    public ObjectNode toTree(List<EntityType> types) {
        return SchemaWriter.write(types);
    }

    /** The document of {@code types} as text in {@code format} (JSON indented). */
    public String write(List<EntityType> types, Format format) {
        try {
            return (format == Format.JSON ? json : yamlWriter).writeValueAsString(toTree(types));
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("cannot write a schema document", e);
        }
    }

    /** A parse error with the path where the parser stopped, and line and column, in plain words. */
    private static SchemaError syntaxError(JsonProcessingException e, Format format) {
        JsonStreamContext context = e.getProcessor() instanceof JsonParser p ? p.getParsingContext() : null;
        String message = String.valueOf(e.getOriginalMessage());
        Matcher duplicate = DUPLICATE_KEY.matcher(message);
        if (duplicate.find()) {
            // The parser is already inside the second value: name the key's own path.
            String key = duplicate.group(1);
            JsonStreamContext c = context;
            while (c != null && !(c.inObject() && key.equals(c.getCurrentName()))) {
                c = c.getParent();
            }
            return new SchemaError(c == null ? "" : pathOf(c), "key \"" + key + "\" is written twice: write each key"
                    + " once");
        }
        if (message.contains("FAIL_ON_TRAILING_TOKENS")) {
            return new SchemaError("", "there is something after the document" + location(e) + " (a second "
                    + (format == Format.YAML ? "YAML document after ---" : "JSON value") + "): send one document");
        }
        if (e.getCause() instanceof MarkedYAMLException y && y.getProblem() != null) {
            message = y.getProblem() + (y.getContext() == null ? "" : ", " + y.getContext()
                    + (y.getContextMark() == null ? "" : " from line " + (y.getContextMark().getLine() + 1)));
        }
        message = message.replaceAll("\\s+", " ").trim();
        if (message.length() > 300) {
            message = message.substring(0, 300) + "...";
        }
        return new SchemaError(context == null ? "" : pathOf(context), "malformed " + format + location(e) + ": "
                + message);
    }

    private static String location(JsonProcessingException e) {
        JsonLocation at = e.getLocation();
        return at == null || at.getLineNr() < 0 ? ""
                : " (line " + at.getLineNr() + ", column " + at.getColumnNr() + ")";
    }

    /** {@code types[1].fields} for a parser inside the second type's fields. */
    private static String pathOf(JsonStreamContext context) {
        List<String> parts = new ArrayList<>();
        for (JsonStreamContext c = context; c != null && !c.inRoot(); c = c.getParent()) {
            if (c.inArray()) {
                parts.add(0, "[" + Math.max(0, c.getCurrentIndex()) + "]");
            } else if (c.inObject() && c.getCurrentName() != null) {
                parts.add(0, "." + c.getCurrentName());
            }
        }
        String path = String.join("", parts);
        return path.startsWith(".") ? path.substring(1) : path;
    }
}

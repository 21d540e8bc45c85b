package dev.keel.cli;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.StreamReadConstraints;
import com.fasterxml.jackson.core.StreamReadFeature;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.databind.module.SimpleModule;
import com.fasterxml.jackson.databind.ser.std.ToStringSerializer;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;

/**
 * The JSON mappers of the command line. Reports ({@code --json}) are the core's records as they are:
 * record component names are the field names, paths are plain strings, instants ISO-8601 strings
 * ({@code 2025-01-31T12:00:00Z}), durations ISO-8601 strings ({@code PT1.5S}).
 */
final class Json {
    /** For {@code --json} reports: records, pretty printed. */
    static final ObjectMapper REPORTS = JsonMapper.builder()
            .addModule(new SimpleModule("keel-cli")
                    .addSerializer(Path.class, ToStringSerializer.instance)
                    .addSerializer(Instant.class, ToStringSerializer.instance)
                    .addSerializer(Duration.class, ToStringSerializer.instance))
            .enable(SerializationFeature.INDENT_OUTPUT)
            .build();

    /**
     * For export and import lines: strict (duplicate keys and anything after the value on a line
     * are errors), exact (decimals kept as written), no limit on string length (BYTES values).
     */
    static final ObjectMapper LINES = JsonMapper.builder(JsonFactory.builder()
                    .streamReadConstraints(StreamReadConstraints.builder().maxStringLength(Integer.MAX_VALUE).build())
                    .build())
            .enable(StreamReadFeature.STRICT_DUPLICATE_DETECTION)
            .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS)
            .enable(DeserializationFeature.USE_BIG_DECIMAL_FOR_FLOATS)
            .build();

    private Json() {
    }
}

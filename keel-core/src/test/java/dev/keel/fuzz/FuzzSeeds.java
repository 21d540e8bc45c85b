package dev.keel.fuzz;

import dev.keel.EntityType;
import dev.keel.Field;
import dev.keel.KeelDb;
import dev.keel.KeelOptions;
import dev.keel.internal.checkpoint.CheckpointFormat;
import dev.keel.internal.checkpoint.CheckpointReader;
import dev.keel.internal.codec.ByteReader;
import dev.keel.internal.codec.ByteWriter;
import dev.keel.internal.entity.EntityCodec;
import dev.keel.internal.entity.Schema;
import dev.keel.internal.entity.SchemaCodec;
import dev.keel.internal.entity.StoredType;
import dev.keel.internal.wal.SegmentScanner;
import dev.keel.internal.wal.WalFormat;
import dev.keel.internal.wal.WalRecord;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

/**
 * Writes the seed inputs of the decoder fuzz targets: real files made by the real writers (a
 * database opened in a temporary directory writes a log segment and a checkpoint) plus truncated and
 * bit-flipped variants. Run by hand when a format changes; the output is committed:
 *
 * <pre>
 * mvn -pl keel-core test-compile dependency:build-classpath -Dmdep.outputFile=target/cp.txt
 * java -cp keel-core/target/test-classes:keel-core/target/classes:$(cat keel-core/target/cp.txt) \
 *     dev.keel.fuzz.FuzzSeeds keel-core/src/test/resources/dev/keel/fuzz
 * </pre>
 * Seeds are named {@code seed-*}; inputs the fuzzer found are named after what they found.
 */
public final class FuzzSeeds {
    private static final EntityType PERSON = EntityType.builder("Person")
            .field(Field.text("name").required())
            .field(Field.longField("age"))
            .field(Field.doubleField("score").defaultValue(0.0))
            .field(Field.bool("active"))
            .field(Field.timestamp("born"))
            .field(Field.bytes("photo"))
            .field(Field.reference("friend", "Person"))
            .field(Field.vector("embedding"))
            .build();
    private static final EntityType NOTE = EntityType.builder("Note")
            .field(Field.text("body").defaultValue("-"))
            .field(Field.reference("author", "Person").required())
            .build();

    private final Path out;

    private FuzzSeeds(Path out) {
        this.out = out;
    }

    public static void main(String[] args) throws IOException {
        if (args.length != 1) {
            throw new IllegalArgumentException("usage: FuzzSeeds <src/test/resources/dev/keel/fuzz>");
        }
        new FuzzSeeds(Path.of(args[0])).writeAll();
    }

    private void writeAll() throws IOException {
        Path dir = Files.createTempDirectory("keel-fuzz-seeds");
        try {
            Path db = dir.resolve("db");
            byte[] segment;
            byte[] longerSegment;
            byte[] checkpoint;
            try (KeelDb k = KeelDb.open(db, KeelOptions.builder().entityTypes(PERSON, NOTE)
                    .segmentSizeInBytes(KeelOptions.MIN_SEGMENT_SIZE).build())) {
                long ada = k.write(tx -> tx.insert("Person", person("Ada", 36)));
                long bob = k.write(tx -> tx.insert("Person", person("Bob", 41)));
                k.execute(tx -> {
                    tx.update("Person", ada, Map.of("age", 37L, "friend", bob));
                    tx.insert("Note", Map.of("author", ada, "body", "hello"));
                });
                k.execute(tx -> tx.delete("Person", bob));
                segment = Files.readAllBytes(only(db, WalFormat.SEGMENT_PREFIX, WalFormat.SEGMENT_SUFFIX));
                for (int i = 0; i < 40; i++) {
                    int n = i;
                    k.execute(tx -> tx.insert("Note", Map.of("author", ada, "body", "note " + n)));
                }
                longerSegment = Files.readAllBytes(only(db, WalFormat.SEGMENT_PREFIX, WalFormat.SEGMENT_SUFFIX));
                k.checkpoint();
                checkpoint = Files.readAllBytes(only(db, CheckpointFormat.PREFIX, CheckpointFormat.SUFFIX));
            }
            writeSegmentSeeds(segment);
            write("SegmentDecodingFuzzTestInputs/segmentFile/seed-valid-segment-44-transactions", validPart(longerSegment));
            writeCheckpointSeeds(checkpoint);
            writeEntitySeeds();
            writeReaderSeeds();
        } finally {
            try (Stream<Path> s = Files.walk(dir)) {
                for (Path p : s.sorted(Comparator.reverseOrder()).toList()) {
                    Files.delete(p);
                }
            }
        }
    }

    private static Map<String, Object> person(String name, long age) {
        Map<String, Object> v = new LinkedHashMap<>();
        v.put("name", name);
        v.put("age", age);
        v.put("active", true);
        v.put("born", Instant.ofEpochSecond(-86_400L * 365 * 20, 123_456_789));
        v.put("photo", new byte[] {1, 2, 3, (byte) 0xFF});
        v.put("embedding", new float[] {0.5f, -1.25f, Float.NaN});
        return v;
    }

    private void writeSegmentSeeds(byte[] segment) throws IOException {
        String dir = "SegmentDecodingFuzzTestInputs/segmentFile/";
        byte[] valid = validPart(segment);
        long salt = ByteReader.getLong(valid, 20);
        List<SegmentScanner.Frame> frames = SegmentScanner.scan(valid, valid.length, salt).frames();
        write(dir + "seed-valid-segment", valid);
        write(dir + "seed-header-only", Arrays.copyOf(valid, WalFormat.HEADER_SIZE));
        SegmentScanner.Frame third = frames.get(2);
        write(dir + "seed-cut-inside-third-frame", Arrays.copyOf(valid, third.offset() + third.size() / 2));
        byte[] flipped = valid.clone();
        flipped[third.offset() + WalFormat.FRAME_HEADER_SIZE] ^= 0x08;
        write(dir + "seed-bit-flip-in-third-payload", flipped);
        byte[] header = valid.clone();
        header[13] ^= 0x01;
        write(dir + "seed-bit-flip-in-header", header);
        byte[] zeroed = valid.clone();
        Arrays.fill(zeroed, frames.get(1).offset(), frames.get(3).offset(), (byte) 0);
        write(dir + "seed-zeroed-frames-then-good-ones", zeroed);

        String records = "SegmentDecodingFuzzTestInputs/recordPayload/";
        byte[] schema = null;
        for (SegmentScanner.Frame f : frames) {
            int len = f.size() - WalFormat.FRAME_HEADER_SIZE;
            byte[] rec = new byte[1 + len];
            rec[0] = (byte) f.record().kind();
            System.arraycopy(valid, f.offset() + WalFormat.FRAME_HEADER_SIZE, rec, 1, len);
            String kind = switch (f.record().kind()) {
                case WalRecord.PUT -> "put";
                case WalRecord.DELETE -> "delete";
                case WalRecord.COMMIT -> "commit";
                default -> "schema";
            };
            write(records + "seed-" + kind + "-lsn-" + f.lsn(), rec);
            if (f.record() instanceof WalRecord.SchemaChange sc && schema == null) {
                schema = sc.schema();
            }
        }
        String schemas = "SchemaDecodingFuzzTestInputs/schemaRecord/";
        write(schemas + "seed-two-types-from-log", schema);
        write(schemas + "seed-truncated", Arrays.copyOf(schema, schema.length / 2));
        ByteWriter w = new ByteWriter(256);
        SchemaCodec.encode(new Schema(3, List.of(FuzzSupport.ENTITY_TYPE)), w);
        write(schemas + "seed-sparse-field-ids", w.toByteArray());
    }

    /**
     * A segment with its header rewritten to the id the targets read segments as (header and name
     * must agree) and the preallocated zeros after the last frame cut.
     */
    private static byte[] validPart(byte[] segment) {
        byte[] renamed = FuzzSupport.withValidSegmentChecksums(segment);
        long salt = ByteReader.getLong(renamed, 20);
        SegmentScanner.Result r = SegmentScanner.scan(renamed, renamed.length, salt);
        if (!r.badRegions().isEmpty()) {
            throw new IllegalStateException("the database wrote a damaged segment: " + r.badRegions());
        }
        SegmentScanner.Frame last = r.frames().get(r.frames().size() - 1);
        return Arrays.copyOf(renamed, last.offset() + last.size());
    }

    private void writeCheckpointSeeds(byte[] checkpoint) throws IOException {
        Path name = FuzzSupport.checkpointPath(checkpoint);
        CheckpointReader.read(new FuzzSupport.MemoryFileIO(name, checkpoint), name); // throws if it does not load
        String dir = "CheckpointDecodingFuzzTestInputs/checkpointFile/";
        write(dir + "seed-valid-checkpoint", checkpoint);
        write(dir + "seed-cut-in-half", Arrays.copyOf(checkpoint, checkpoint.length / 2));
        byte[] flipped = checkpoint.clone();
        flipped[CheckpointFormat.HEADER_SIZE + 40] ^= 0x10;
        write(dir + "seed-bit-flip-in-schema-block", flipped);
        write(dir + "seed-extended", Arrays.copyOf(checkpoint, checkpoint.length + 5));
        writeCraftedCheckpoints(dir, checkpoint);
    }

    /**
     * Checkpoints with valid checksums whose counts or ids lie, found by reading the reader rather than
     * by the fuzzer (they need a 5- or 9-byte varint of one exact value): an ENTITIES block declaring
     * a negative number of entities (END's total adjusted to match), and an entity id of
     * Long.MAX_VALUE, which leaves no next id to allocate.
     */
    private void writeCraftedCheckpoints(String dir, byte[] checkpoint) throws IOException {
        List<byte[]> blocks = new ArrayList<>();
        List<Integer> kinds = new ArrayList<>();
        for (int at = CheckpointFormat.HEADER_SIZE; at < checkpoint.length; ) {
            int length = ByteReader.getInt(checkpoint, at + 4);
            kinds.add(checkpoint[at + 8] & 0xFF);
            blocks.add(Arrays.copyOfRange(checkpoint, at + CheckpointFormat.BLOCK_HEADER_SIZE,
                    at + CheckpointFormat.BLOCK_HEADER_SIZE + length));
            at += CheckpointFormat.BLOCK_HEADER_SIZE + length;
        }
        int typeBlock = kinds.indexOf(CheckpointFormat.TYPE);
        ByteReader type = new ByteReader(blocks.get(typeBlock));
        int typeId = type.readVarInt();
        long nextId = type.readVarLong();
        long count = type.readVarLong();
        ByteReader end = new ByteReader(blocks.get(blocks.size() - 1));
        long total = end.readVarLong();
        int blockCount = end.readVarInt();
        long lsn = end.readVarLong();

        List<byte[]> negative = new ArrayList<>(blocks.subList(0, blocks.size() - 1));
        List<Integer> negativeKinds = new ArrayList<>(kinds.subList(0, kinds.size() - 1));
        negative.add(new ByteWriter(8).writeVarInt(typeId).writeVarInt(-1).toByteArray());
        negativeKinds.add(CheckpointFormat.ENTITIES);
        negative.add(new ByteWriter(24).writeVarLong(total - 1).writeVarInt(blockCount + 1).writeVarLong(lsn)
                .toByteArray());
        negativeKinds.add(CheckpointFormat.END);
        write(dir + "negative-entity-count", checkpoint(checkpoint, negativeKinds, negative));

        List<byte[]> max = new ArrayList<>(blocks.subList(0, blocks.size() - 1));
        List<Integer> maxKinds = new ArrayList<>(kinds.subList(0, kinds.size() - 1));
        max.set(typeBlock, new ByteWriter(24).writeVarInt(typeId).writeVarLong(nextId).writeVarLong(count + 1)
                .toByteArray());
        byte[] entity = EntityCodec.encode(FuzzSupport.ENTITY_TYPE, 1, Map.of(), new ByteWriter(8));
        max.add(new ByteWriter(32).writeVarInt(typeId).writeVarInt(1).writeVarLong(Long.MAX_VALUE).writeBlob(entity)
                .toByteArray());
        maxKinds.add(CheckpointFormat.ENTITIES);
        max.add(new ByteWriter(24).writeVarLong(total + 1).writeVarInt(blockCount + 1).writeVarLong(lsn)
                .toByteArray());
        maxKinds.add(CheckpointFormat.END);
        write(dir + "entity-id-leaves-no-next-id", checkpoint(checkpoint, maxKinds, max));
    }

    /** The header of {@code original}, then the blocks, with valid checksums. */
    private static byte[] checkpoint(byte[] original, List<Integer> kinds, List<byte[]> payloads) {
        ByteWriter w = new ByteWriter(original.length + 64);
        w.writeBytes(Arrays.copyOf(original, CheckpointFormat.HEADER_SIZE));
        for (int i = 0; i < payloads.size(); i++) {
            w.writeInt(0).writeInt(payloads.get(i).length).writeByte(kinds.get(i)).writeBytes(payloads.get(i));
        }
        return FuzzSupport.withValidCheckpointChecksums(w.toByteArray());
    }

    private void writeEntitySeeds() throws IOException {
        String dir = "EntityDecodingFuzzTestInputs/entityPayload/";
        StoredType t = FuzzSupport.ENTITY_TYPE;
        Map<String, Object> all = new LinkedHashMap<>();
        all.put("text", "naïve ☃");
        all.put("count", -42L);
        all.put("score", Double.NaN);
        all.put("flag", false);
        all.put("at", Instant.ofEpochSecond(1_700_000_000L, 999_999_999));
        all.put("blob", new byte[] {0, 1, 2});
        all.put("owner", 12_345L);
        all.put("embedding", new float[] {1f, 2f});
        write(dir + "seed-every-field", EntityCodec.encode(t, 77, all, new ByteWriter(64)));
        write(dir + "seed-no-fields", EntityCodec.encode(t, 1, Map.of(), new ByteWriter(8)));
        write(dir + "seed-text-only", EntityCodec.encode(t, Long.MAX_VALUE, Map.of("text", "x"), new ByteWriter(16)));
    }

    private void writeReaderSeeds() throws IOException {
        String dir = "ByteReaderFuzzTestInputs/readerProgram/";
        ByteWriter w = new ByteWriter(64);
        w.writeByte(0).writeInt(7).writeByte(1).writeLong(-1).writeByte(2).writeVarLong(Long.MIN_VALUE)
                .writeByte(3).writeVarInt(300).writeByte(5).writeZigZag(-5).writeByte(9).writeString("keel")
                .writeByte(8).writeBlob(new byte[] {9, 9}).writeByte(6).writeVarInt(1).writeByte(4);
        write(dir + "seed-every-operation", w.toByteArray());
        ByteWriter v = new ByteWriter(16);
        v.writeByte(2);
        for (int i = 0; i < 11; i++) {
            v.writeByte(0x80);
        }
        write(dir + "seed-overlong-varint", v.toByteArray());
    }

    private void write(String name, byte[] content) throws IOException {
        Path p = out.resolve(name);
        Files.createDirectories(p.getParent());
        Files.write(p, content);
    }

    private static Path only(Path dir, String prefix, String suffix) throws IOException {
        try (Stream<Path> s = Files.list(dir)) {
            List<Path> found = s.filter(p -> p.getFileName().toString().startsWith(prefix)
                    && p.getFileName().toString().endsWith(suffix)).toList();
            if (found.size() != 1) {
                throw new IllegalStateException("expected one " + prefix + "*" + suffix + " in " + dir + ": " + found);
            }
            return found.get(0);
        }
    }
}

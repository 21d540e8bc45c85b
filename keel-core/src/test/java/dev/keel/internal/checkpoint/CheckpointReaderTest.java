package dev.keel.internal.checkpoint;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.keel.CorruptionException;
import dev.keel.EntityType;
import dev.keel.FieldType;
import dev.keel.internal.entity.Schema;
import dev.keel.internal.entity.StoredType;
import dev.keel.internal.io.NioFileIO;
import dev.keel.internal.store.MemStore;
import dev.keel.internal.store.Store;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A checkpoint reads back exactly; every truncation and every bit flip is reported as corruption. */
class CheckpointReaderTest {
    @TempDir
    Path dir;

    private Path write(int entities) throws IOException {
        EntityType t = EntityType.builder("T").field("v", FieldType.LONG).build();
        Schema schema = new Schema(1, List.of(StoredType.create(1, t)));
        Store.Batch b = MemStore.of(0, schema, Map.of(), Map.of()).batch();
        for (int i = 1; i <= entities; i++) {
            b.put(1, i * 3L, new byte[] {(byte) i, 1, 2});
        }
        b.reserveIds(1, entities * 3L + 10);
        return new CheckpointWriter(NioFileIO.INSTANCE, dir, dev.keel.fault.CrashHook.NONE).write(b.apply(77));
    }

    @Test
    void roundTripsStoreSchemaAndNextIds() throws IOException {
        Path file = write(5000);
        assertEquals(CheckpointFormat.fileName(77), file.getFileName().toString());
        CheckpointReader.Loaded loaded = CheckpointReader.read(NioFileIO.INSTANCE, file);
        assertEquals(77, loaded.lsn());
        assertEquals(5000, loaded.store().count(1));
        assertEquals(15_010, loaded.store().nextId(1));
        assertArrayEquals(new byte[] {(byte) 7, 1, 2}, loaded.store().get(1, 21));
        assertEquals("T", loaded.store().schema().byId(1).name());
        assertTrue(Files.list(dir).noneMatch(p -> p.toString().endsWith(".tmp")), "temp file renamed away");
    }

    @Test
    void everyTruncationIsCorruptionNamingTheFile() throws IOException {
        byte[] data = Files.readAllBytes(write(50));
        for (int len = 0; len < data.length; len++) {
            byte[] cut = Arrays.copyOf(data, len);
            CorruptionException e = assertThrows(CorruptionException.class,
                    () -> CheckpointReader.decode(Path.of(CheckpointFormat.fileName(77)), cut), "length " + len);
            assertTrue(e.getMessage().contains(CheckpointFormat.fileName(77)), e.getMessage());
        }
    }

    @Test
    void everyBitFlipIsCorruption() throws IOException {
        byte[] data = Files.readAllBytes(write(50));
        for (int at = 0; at < data.length; at++) {
            byte[] flipped = data.clone();
            flipped[at] ^= 0x10;
            int offset = at;
            assertThrows(CorruptionException.class,
                    () -> CheckpointReader.decode(Path.of(CheckpointFormat.fileName(77)), flipped), "flip at " + offset);
        }
    }

    @Test
    void extendedFileIsCorruption() throws IOException {
        byte[] data = Files.readAllBytes(write(10));
        byte[] longer = Arrays.copyOf(data, data.length + 3);
        assertTrue(assertThrows(CorruptionException.class,
                () -> CheckpointReader.decode(Path.of(CheckpointFormat.fileName(77)), longer)).getMessage().contains("extended"));
    }
}

package dev.keel.fuzz;

import com.code_intelligence.jazzer.junit.FuzzTest;
import dev.keel.CorruptionException;
import dev.keel.internal.checkpoint.CheckpointReader;
import dev.keel.internal.codec.MalformedDataException;
import dev.keel.internal.entity.EntityCodec;
import dev.keel.internal.entity.StoredType;
import dev.keel.internal.store.Store;
import java.io.IOException;
import java.nio.file.Path;

/**
 * Checkpoint files through {@link CheckpointReader#read}, the way recovery loads them: the only
 * allowed failure is a {@link CorruptionException} naming the file and an offset inside it. A
 * checkpoint that loads must hold what it declares; its entities may still fail to decode, but only
 * with {@link MalformedDataException} (which reads report as corruption).
 * Saved inputs: {@code src/test/resources/dev/keel/fuzz/CheckpointDecodingFuzzTestInputs/checkpointFile/}.
 */
class CheckpointDecodingFuzzTest {

    /**
     * A whole checkpoint file, as it is and with every checksum made valid (so mutations reach the
     * block decoders behind the CRCs).
     */
    @FuzzTest(maxDuration = "2m")
    void checkpointFile(byte[] image) throws IOException {
        read(image);
        read(FuzzSupport.withValidCheckpointChecksums(image));
    }

    private static void read(byte[] image) throws IOException {
        Path file = FuzzSupport.checkpointPath(image);
        CheckpointReader.Loaded loaded;
        try {
            loaded = CheckpointReader.read(new FuzzSupport.MemoryFileIO(file, image), file);
        } catch (CorruptionException e) {
            FuzzSupport.checkNamesFileAndOffset(e, file, image.length);
            return;
        }
        if (loaded.sizeInBytes() != image.length) {
            throw new AssertionError("loaded " + loaded.sizeInBytes() + " bytes of a " + image.length + "-byte file");
        }
        long entities = 0;
        for (StoredType t : loaded.store().schema().types()) {
            Store.Cursor c = loaded.store().scan(t.typeId(), 0);
            long last = 0;
            while (c.next()) {
                if (c.id() <= last) {
                    throw new AssertionError("type " + t.typeId() + " id " + c.id() + " after " + last);
                }
                last = c.id();
                entities++;
                try {
                    EntityCodec.decode(t, c.id(), c.value());
                } catch (MalformedDataException expected) {
                    // stored bytes that do not decode are reported as corruption when read
                }
            }
            if (loaded.store().nextId(t.typeId()) <= last) {
                throw new AssertionError("type " + t.typeId() + " would reuse id " + loaded.store().nextId(t.typeId()));
            }
        }
        if (entities != loaded.entities()) {
            throw new AssertionError("checkpoint reports " + loaded.entities() + " entities but holds " + entities);
        }
    }
}

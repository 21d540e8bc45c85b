package dev.keel.bench;

import java.nio.file.Path;
import java.util.List;
import java.util.function.Supplier;

/**
 * A database the harness can run: its command-line id, display name, the durability settings it
 * runs with (printed in the report), its version, and how to open it in a directory.
 */
public record StoreKind(String id, String displayName, String settings, Supplier<String> version, Opener opener) {

    /** Opens (creating if needed) a store in a directory; {@code ids} maps keys to KeelDB ids. */
    @FunctionalInterface
    public interface Opener {
        Store open(Path directory, IdTable ids) throws Exception;
    }

    public Store open(Path directory, IdTable ids) throws Exception {
        return opener.open(directory, ids);
    }

    /** Every kind, KeelDB first (ratios are KeelDB/peer). */
    public static List<StoreKind> all() {
        return List.of(KeelDbStore.KIND, SqliteStore.KIND, RocksDbStore.KIND, LmdbStore.KIND);
    }

    public static StoreKind byId(String id) {
        for (StoreKind k : all()) {
            if (k.id.equalsIgnoreCase(id)) {
                return k;
            }
        }
        throw new IllegalArgumentException("unknown store '" + id + "'; known: keeldb, sqlite, rocksdb, lmdb");
    }
}

package dev.keel.bench;

import java.nio.file.Path;
import org.rocksdb.Options;
import org.rocksdb.RocksDB;
import org.rocksdb.RocksDBException;
import org.rocksdb.WriteBatch;
import org.rocksdb.WriteOptions;

/**
 * RocksDB (rocksdbjni) with default options apart from {@code WriteOptions.setSync(true)}: every
 * write or write batch returns after the WAL is synced; concurrent writers share a sync (RocksDB's
 * write group). Key = 8-byte big-endian id, value = {@link Row#encode()}. Thread-safe; sessions are
 * thin.
 */
final class RocksDbStore implements Store {
    static final StoreKind KIND = new StoreKind("rocksdb", "RocksDB",
            "rocksdbjni, default Options, WriteOptions.setSync(true) (WAL synced per write batch)",
            RocksDbStore::version, RocksDbStore::open);

    private final Options options;
    private final WriteOptions syncWrites;
    private final RocksDB db;

    private RocksDbStore(Options options, WriteOptions syncWrites, RocksDB db) {
        this.options = options;
        this.syncWrites = syncWrites;
        this.db = db;
    }

    static String version() {
        RocksDB.loadLibrary();
        return RocksDB.rocksdbVersion().toString();
    }

    static Store open(Path directory, IdTable ids) throws RocksDBException {
        RocksDB.loadLibrary();
        Options options = new Options().setCreateIfMissing(true);
        WriteOptions syncWrites = new WriteOptions().setSync(true);
        try {
            return new RocksDbStore(options, syncWrites, RocksDB.open(options, directory.toString()));
        } catch (RocksDBException | RuntimeException e) {
            syncWrites.close();
            options.close();
            throw e;
        }
    }

    @Override
    public Session session() {
        return new Session() {
            @Override
            public void insert(long key, Row row) throws RocksDBException {
                db.put(syncWrites, Row.keyBytes(key), row.encode());
            }

            @Override
            public void insertBatch(long firstKey, int count) throws RocksDBException {
                try (WriteBatch batch = new WriteBatch()) {
                    for (int i = 0; i < count; i++) {
                        long key = firstKey + i;
                        batch.put(Row.keyBytes(key), Row.forKey(key).encode());
                    }
                    db.write(syncWrites, batch);
                }
            }

            @Override
            public Row read(long key) throws RocksDBException {
                byte[] value = db.get(Row.keyBytes(key));
                return value == null ? null : Row.decode(value);
            }

            @Override
            public void close() {
            }
        };
    }

    @Override
    public void close() {
        db.close();
        syncWrites.close();
        options.close();
    }
}

package dev.keel.bench;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Path;
import org.lmdbjava.Dbi;
import org.lmdbjava.DbiFlags;
import org.lmdbjava.Env;
import org.lmdbjava.Meta;
import org.lmdbjava.Txn;

/**
 * LMDB (lmdbjava) with default environment flags, which are durable: a write transaction's commit
 * syncs the data and meta pages before it returns (no MDB_NOSYNC, MDB_NOMETASYNC or MDB_WRITEMAP).
 * Writers are serialized by LMDB's write lock. Map size 16 GiB (address space; the file grows as
 * written). Key = 8-byte big-endian id, value = {@link Row#encode()}. Needs
 * {@code --add-opens java.base/java.nio=ALL-UNNAMED --add-opens java.base/sun.nio.ch=ALL-UNNAMED}
 * on Java 17 for lmdbjava's fast buffer proxy.
 */
final class LmdbStore implements Store {
    static final StoreKind KIND = new StoreKind("lmdb", "LMDB",
            "lmdbjava, default env flags (commit syncs data + meta pages), map size 16 GiB",
            LmdbStore::version, LmdbStore::open);

    private static final long MAP_SIZE = 16L << 30;
    private static final int MAX_VALUE = 512;

    private final Env<ByteBuffer> env;
    private final Dbi<ByteBuffer> dbi;

    private LmdbStore(Env<ByteBuffer> env) {
        this.env = env;
        this.dbi = env.openDbi("person", DbiFlags.MDB_CREATE);
    }

    static Store open(Path directory, IdTable ids) {
        Env<ByteBuffer> env = Env.create().setMapSize(MAP_SIZE).setMaxDbs(1).setMaxReaders(64).open(directory.toFile());
        try {
            return new LmdbStore(env);
        } catch (RuntimeException e) {
            env.close();
            throw e;
        }
    }

    static String version() {
        Meta.Version v = Meta.version();
        String binding = Env.class.getPackage().getImplementationVersion();
        return v.major + "." + v.minor + "." + v.patch + (binding != null ? " (lmdbjava " + binding + ")" : "");
    }

    @Override
    public Session session() {
        return new Session() {
            private final ByteBuffer keyBuf = ByteBuffer.allocateDirect(Long.BYTES);
            private final ByteBuffer valueBuf = ByteBuffer.allocateDirect(MAX_VALUE);

            private void put(Txn<ByteBuffer> txn, long key, Row row) {
                keyBuf.clear();
                keyBuf.putLong(key).flip();
                valueBuf.clear();
                row.encodeInto(valueBuf);
                valueBuf.flip();
                dbi.put(txn, keyBuf, valueBuf);
            }

            @Override
            public void insert(long key, Row row) {
                try (Txn<ByteBuffer> txn = env.txnWrite()) {
                    put(txn, key, row);
                    txn.commit();
                }
            }

            @Override
            public void insertBatch(long firstKey, int count) {
                try (Txn<ByteBuffer> txn = env.txnWrite()) {
                    for (int i = 0; i < count; i++) {
                        put(txn, firstKey + i, Row.forKey(firstKey + i));
                    }
                    txn.commit();
                }
            }

            @Override
            public Row read(long key) {
                keyBuf.clear();
                keyBuf.putLong(key).flip();
                try (Txn<ByteBuffer> txn = env.txnRead()) {
                    ByteBuffer value = dbi.get(txn, keyBuf);
                    return value == null ? null : Row.decode(value.order(ByteOrder.BIG_ENDIAN));
                }
            }

            @Override
            public void close() {
            }
        };
    }

    @Override
    public void close() {
        dbi.close();
        env.close();
    }
}

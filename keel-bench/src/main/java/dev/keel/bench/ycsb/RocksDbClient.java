package dev.keel.bench.ycsb;

import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.Vector;
import org.rocksdb.Options;
import org.rocksdb.RocksDB;
import org.rocksdb.RocksDBException;
import org.rocksdb.RocksIterator;
import org.rocksdb.WriteOptions;
import site.ycsb.ByteArrayByteIterator;
import site.ycsb.ByteIterator;
import site.ycsb.DB;
import site.ycsb.DBException;
import site.ycsb.Status;

/**
 * YCSB binding for RocksDB, the reference peer of {@link KeelDbClient}: one RocksDB per JVM shared
 * by the client threads, default options, the YCSB table ignored (one key space). Key = the YCSB key
 * in UTF-8; value = the record's fields, each as {@code [int nameLength][name][int valueLength][value]}.
 * An update reads, merges and rewrites the record (not atomic against a concurrent update of the
 * same key, like YCSB's own RocksDB binding).
 *
 * <p><b>Properties.</b> {@code rocksdb.dir} (required). {@code rocksdb.sync}: true (default)
 * makes every write wait for the WAL sync, matching KeelDB's SYNC durability.
 */
public final class RocksDbClient extends DB {
    private static final Object LOCK = new Object();
    private static Shared shared;
    private static int clients;

    private Shared state;

    private record Shared(Options options, WriteOptions writeOptions, RocksDB rocks) {
        void close() {
            rocks.close();
            writeOptions.close();
            options.close();
        }
    }

    @Override
    public void init() throws DBException {
        Properties p = getProperties();
        synchronized (LOCK) {
            if (shared == null) {
                shared = open(p);
            }
            clients++;
            state = shared;
        }
    }

    private static Shared open(Properties p) throws DBException {
        String dir = p.getProperty("rocksdb.dir");
        if (dir == null || dir.isBlank()) {
            throw new DBException("property rocksdb.dir (the database directory) is required");
        }
        RocksDB.loadLibrary();
        Options options = new Options().setCreateIfMissing(true);
        WriteOptions writeOptions = new WriteOptions().setSync(Boolean.parseBoolean(p.getProperty("rocksdb.sync", "true")));
        try {
            Files.createDirectories(Path.of(dir));
            return new Shared(options, writeOptions, RocksDB.open(options, dir));
        } catch (Exception e) {
            writeOptions.close();
            options.close();
            throw new DBException("cannot open RocksDB in " + dir + ": " + e, e);
        }
    }

    @Override
    public void cleanup() {
        synchronized (LOCK) {
            if (state == null) {
                return;
            }
            state = null;
            if (--clients == 0) {
                shared.close();
                shared = null;
            }
        }
    }

    @Override
    public Status read(String table, String key, Set<String> fields, Map<String, ByteIterator> result) {
        try {
            byte[] value = state.rocks().get(key.getBytes(StandardCharsets.UTF_8));
            if (value == null) {
                return Status.NOT_FOUND;
            }
            decode(value, fields, result);
            return Status.OK;
        } catch (RocksDBException e) {
            return Status.ERROR;
        }
    }

    @Override
    public Status scan(String table, String startkey, int recordcount, Set<String> fields,
                       Vector<HashMap<String, ByteIterator>> result) {
        try (RocksIterator it = state.rocks().newIterator()) {
            it.seek(startkey.getBytes(StandardCharsets.UTF_8));
            for (; it.isValid() && result.size() < recordcount; it.next()) {
                HashMap<String, ByteIterator> row = new HashMap<>();
                decode(it.value(), fields, row);
                result.add(row);
            }
            return Status.OK;
        }
    }

    @Override
    public Status update(String table, String key, Map<String, ByteIterator> values) {
        try {
            byte[] k = key.getBytes(StandardCharsets.UTF_8);
            byte[] old = state.rocks().get(k);
            if (old == null) {
                return Status.NOT_FOUND;
            }
            Map<String, byte[]> record = new LinkedHashMap<>();
            decodeInto(old, record);
            values.forEach((f, v) -> record.put(f, v.toArray()));
            state.rocks().put(state.writeOptions(), k, encode(record));
            return Status.OK;
        } catch (RocksDBException e) {
            return Status.ERROR;
        }
    }

    @Override
    public Status insert(String table, String key, Map<String, ByteIterator> values) {
        try {
            Map<String, byte[]> record = new LinkedHashMap<>();
            values.forEach((f, v) -> record.put(f, v.toArray()));
            state.rocks().put(state.writeOptions(), key.getBytes(StandardCharsets.UTF_8), encode(record));
            return Status.OK;
        } catch (RocksDBException e) {
            return Status.ERROR;
        }
    }

    @Override
    public Status delete(String table, String key) {
        try {
            state.rocks().delete(state.writeOptions(), key.getBytes(StandardCharsets.UTF_8));
            return Status.OK;
        } catch (RocksDBException e) {
            return Status.ERROR;
        }
    }

    static byte[] encode(Map<String, byte[]> record) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteBuffer len = ByteBuffer.allocate(Integer.BYTES);
        record.forEach((f, v) -> {
            byte[] name = f.getBytes(StandardCharsets.UTF_8);
            out.writeBytes(len.clear().putInt(name.length).array());
            out.writeBytes(name);
            out.writeBytes(len.clear().putInt(v.length).array());
            out.writeBytes(v);
        });
        return out.toByteArray();
    }

    private static void decodeInto(byte[] value, Map<String, byte[]> out) {
        ByteBuffer in = ByteBuffer.wrap(value);
        while (in.hasRemaining()) {
            byte[] name = new byte[in.getInt()];
            in.get(name);
            byte[] v = new byte[in.getInt()];
            in.get(v);
            out.put(new String(name, StandardCharsets.UTF_8), v);
        }
    }

    private static void decode(byte[] value, Set<String> fields, Map<String, ByteIterator> out) {
        Map<String, byte[]> record = new LinkedHashMap<>();
        decodeInto(value, record);
        record.forEach((f, v) -> {
            if (fields == null || fields.contains(f)) {
                out.put(f, new ByteArrayByteIterator(v));
            }
        });
    }
}

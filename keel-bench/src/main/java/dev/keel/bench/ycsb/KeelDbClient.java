package dev.keel.bench.ycsb;

import dev.keel.Durability;
import dev.keel.Entity;
import dev.keel.EntityNotFoundException;
import dev.keel.EntityType;
import dev.keel.FieldType;
import dev.keel.KeelDb;
import dev.keel.KeelOptions;
import dev.keel.Snapshot;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Properties;
import java.util.Set;
import java.util.Vector;
import java.util.concurrent.ConcurrentSkipListMap;
import java.util.stream.IntStream;
import site.ycsb.ByteArrayByteIterator;
import site.ycsb.ByteIterator;
import site.ycsb.DB;
import site.ycsb.DBException;
import site.ycsb.Status;

/**
 * YCSB binding for KeelDB.
 *
 * <p><b>Mapping.</b> A YCSB table is one entity type of the same name with a required TEXT field
 * {@code ycsb_key} and one TEXT field per YCSB field ({@code fieldnameprefix} + 0 ..
 * {@code fieldcount} - 1, by default field0..field9). YCSB values are bytes; they are stored as
 * ISO-8859-1 text, which maps every byte to one char and back (YCSB's generated values are printable
 * ASCII, so the stored UTF-8 is one byte per value byte).
 *
 * <p><b>Keys.</b> KeelDB assigns entity ids itself, so the binding keeps an in-memory sorted map
 * from YCSB key to id, rebuilt on open by scanning the type. {@code read}, {@code update} and
 * {@code delete} look the id up there; {@code scan} walks the map from the start key, in YCSB key
 * order, reading each entity from one snapshot. The map is updated after a commit returns.
 *
 * <p><b>Properties.</b> {@code keeldb.dir} (required): the database directory.
 * {@code keeldb.durability}: SYNC (default), GROUP or ASYNC. Every write is its own transaction
 * through {@link KeelDb#write}, which retries on a conflict.
 *
 * <p><b>Threads.</b> YCSB creates one client per thread; they share one open database per JVM,
 * closed when the last client is cleaned up.
 */
public final class KeelDbClient extends DB {
    static final String KEY_FIELD = "ycsb_key";

    private static final Object LOCK = new Object();
    private static Shared shared;
    private static int clients;
    private static volatile boolean reported;

    private Shared state;

    /** The database and key map shared by the clients of one JVM. */
    private record Shared(KeelDb keel, String type, List<String> fields, ConcurrentSkipListMap<String, Long> ids) {
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
        String dir = p.getProperty("keeldb.dir");
        if (dir == null || dir.isBlank()) {
            throw new DBException("property keeldb.dir (the database directory) is required");
        }
        String table = p.getProperty("table", "usertable");
        int fieldCount = Integer.parseInt(p.getProperty("fieldcount", "10"));
        String prefix = p.getProperty("fieldnameprefix", "field");
        List<String> fields = IntStream.range(0, fieldCount).mapToObj(i -> prefix + i).toList();
        EntityType.Builder type = EntityType.builder(table).requiredField(KEY_FIELD, FieldType.TEXT);
        fields.forEach(f -> type.field(f, FieldType.TEXT));
        try {
            KeelOptions options = KeelOptions.builder()
                    .durability(Durability.valueOf(p.getProperty("keeldb.durability", "SYNC").toUpperCase()))
                    .entityType(type.build())
                    .build();
            KeelDb keel = KeelDb.open(Path.of(dir), options);
            ConcurrentSkipListMap<String, Long> ids = new ConcurrentSkipListMap<>();
            keel.snapshot().scan(table).forEach(e -> ids.put(e.getText(KEY_FIELD), e.id()));
            return new Shared(keel, table, fields, ids);
        } catch (RuntimeException e) {
            throw new DBException("cannot open KeelDB in " + dir + ": " + e, e);
        }
    }

    @Override
    public void cleanup() throws DBException {
        synchronized (LOCK) {
            if (state == null) {
                return;
            }
            state = null;
            if (--clients == 0) {
                try {
                    shared.keel().close();
                } catch (RuntimeException e) {
                    throw new DBException("closing KeelDB failed: " + e, e);
                } finally {
                    shared = null;
                }
            }
        }
    }

    @Override
    public Status read(String table, String key, Set<String> fields, Map<String, ByteIterator> result) {
        Long id = state.ids().get(key);
        if (id == null) {
            return Status.NOT_FOUND;
        }
        try {
            Optional<Entity> e = state.keel().snapshot().get(state.type(), id);
            if (e.isEmpty()) {
                return Status.NOT_FOUND;
            }
            copyFields(e.get(), fields, result);
            return Status.OK;
        } catch (RuntimeException ex) {
            return error("read", ex);
        }
    }

    @Override
    public Status scan(String table, String startkey, int recordcount, Set<String> fields,
                       Vector<HashMap<String, ByteIterator>> result) {
        try {
            Snapshot snapshot = state.keel().snapshot();
            for (Long id : state.ids().tailMap(startkey, true).values()) {
                if (result.size() >= recordcount) {
                    break;
                }
                Optional<Entity> e = snapshot.get(state.type(), id);
                if (e.isPresent()) {
                    HashMap<String, ByteIterator> row = new HashMap<>();
                    copyFields(e.get(), fields, row);
                    result.add(row);
                }
            }
            return Status.OK;
        } catch (RuntimeException ex) {
            return error("scan", ex);
        }
    }

    @Override
    public Status update(String table, String key, Map<String, ByteIterator> values) {
        Long id = state.ids().get(key);
        if (id == null) {
            return Status.NOT_FOUND;
        }
        Map<String, Object> changes = toText(values);
        try {
            state.keel().execute(tx -> tx.update(state.type(), id, changes));
            return Status.OK;
        } catch (EntityNotFoundException e) {
            return Status.NOT_FOUND;
        } catch (RuntimeException ex) {
            return error("update", ex);
        }
    }

    @Override
    public Status insert(String table, String key, Map<String, ByteIterator> values) {
        Map<String, Object> entity = toText(values);
        entity.put(KEY_FIELD, key);
        try {
            long id = state.keel().write(tx -> tx.insert(state.type(), entity));
            state.ids().put(key, id);
            return Status.OK;
        } catch (RuntimeException ex) {
            return error("insert", ex);
        }
    }

    @Override
    public Status delete(String table, String key) {
        Long id = state.ids().get(key);
        if (id == null) {
            return Status.NOT_FOUND;
        }
        try {
            boolean existed = state.keel().write(tx -> tx.delete(state.type(), id));
            state.ids().remove(key, id);
            return existed ? Status.OK : Status.NOT_FOUND;
        } catch (RuntimeException ex) {
            return error("delete", ex);
        }
    }

    private void copyFields(Entity e, Set<String> fields, Map<String, ByteIterator> out) {
        for (String f : fields == null ? state.fields() : fields) {
            String v = e.getText(f);
            if (v != null) {
                out.put(f, new ByteArrayByteIterator(v.getBytes(StandardCharsets.ISO_8859_1)));
            }
        }
    }

    private static Map<String, Object> toText(Map<String, ByteIterator> values) {
        Map<String, Object> text = new LinkedHashMap<>();
        values.forEach((k, v) -> text.put(k, new String(v.toArray(), StandardCharsets.ISO_8859_1)));
        return text;
    }

    /** Reports the first failure on stderr (YCSB only counts statuses), then returns ERROR. */
    private static Status error(String operation, RuntimeException e) {
        if (!reported) {
            reported = true;
            System.err.println("KeelDbClient " + operation + " failed (later failures are only counted): " + e);
            e.printStackTrace();
        }
        return Status.ERROR;
    }
}

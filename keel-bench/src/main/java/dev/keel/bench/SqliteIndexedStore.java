package dev.keel.bench;

import java.nio.file.Path;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;

/**
 * SQLite for {@link IndexBenchmark}, with the settings of {@link SqliteStore} ({@code
 * journal_mode=WAL}, {@code synchronous=FULL}, IMMEDIATE transactions): table {@code item(id
 * INTEGER PRIMARY KEY, k INTEGER, name TEXT, age INTEGER, score REAL)}, all NOT NULL, id = the key,
 * with indexes {@code by_k}, {@code by_name}, {@code by_age} (plain {@code CREATE INDEX}, created
 * on the empty table; no {@code ANALYZE}). One connection; every query is a prepared statement in
 * autocommit (its own read transaction), reading all columns of each row.
 */
final class SqliteIndexedStore implements IndexedStore {
    private static final String COLUMNS = "SELECT id, k, name, age, score FROM item ";
    private static final String BY_K = COLUMNS + "WHERE k = ?";
    private static final String K_RANGE = COLUMNS + "WHERE k >= ? AND k < ? ORDER BY k";
    private static final String NAME_FROM = COLUMNS + "WHERE name >= ? ORDER BY name LIMIT ?";

    private final Connection connection;
    private final Statement control;
    private final PreparedStatement insert;
    private final PreparedStatement get;
    private final PreparedStatement byK;
    private final PreparedStatement kRange;
    private final PreparedStatement nameFrom;
    private final int loaded;

    private SqliteIndexedStore(Connection connection, int indexes, int loaded) throws SQLException {
        this.connection = connection;
        this.loaded = loaded;
        this.control = connection.createStatement();
        control.executeUpdate("CREATE TABLE IF NOT EXISTS item(id INTEGER PRIMARY KEY, k INTEGER NOT NULL,"
                + " name TEXT NOT NULL, age INTEGER NOT NULL, score REAL NOT NULL)");
        for (String field : INDEX_FIELDS.subList(0, indexes)) {
            control.executeUpdate("CREATE INDEX IF NOT EXISTS by_" + field + " ON item(" + field + ")");
        }
        this.insert = connection.prepareStatement("INSERT INTO item(id, k, name, age, score) VALUES (?, ?, ?, ?, ?)");
        this.get = connection.prepareStatement(COLUMNS + "WHERE id = ?");
        this.byK = connection.prepareStatement(BY_K);
        this.kRange = connection.prepareStatement(K_RANGE);
        this.nameFrom = connection.prepareStatement(NAME_FROM);
    }

    static IndexedStore open(Path directory, int indexes, int loaded) throws SQLException {
        return new SqliteIndexedStore(SqliteStore.config().createConnection(SqliteStore.url(directory)), indexes, loaded);
    }

    private void bind(long key) throws SQLException {
        IndexedRow r = IndexedRow.forKey(key, loaded);
        insert.setLong(1, key);
        insert.setLong(2, r.k());
        insert.setString(3, r.name());
        insert.setInt(4, r.age());
        insert.setDouble(5, r.score());
    }

    @Override
    public void insertBatch(long firstKey, int count) throws SQLException {
        SqliteStore.inTransaction(control, () -> {
            for (int i = 0; i < count; i++) {
                bind(firstKey + i);
                insert.executeUpdate();
            }
        });
    }

    @Override
    public void insert(long key) throws SQLException {
        bind(key); // autocommit: one implicit transaction
        insert.executeUpdate();
    }

    private static List<Hit> hits(PreparedStatement query) throws SQLException {
        List<Hit> hits = new ArrayList<>();
        try (ResultSet rs = query.executeQuery()) {
            while (rs.next()) {
                hits.add(new Hit(rs.getLong(1), new IndexedRow(rs.getLong(2), rs.getString(3), rs.getInt(4),
                        rs.getDouble(5))));
            }
        }
        return hits;
    }

    @Override
    public Hit get(long key) throws SQLException {
        get.setLong(1, key);
        List<Hit> h = hits(get);
        return h.isEmpty() ? null : h.get(0);
    }

    @Override
    public List<Hit> byK(long value) throws SQLException {
        byK.setLong(1, value);
        return hits(byK);
    }

    @Override
    public List<Hit> kRange(long from, long to) throws SQLException {
        kRange.setLong(1, from);
        kRange.setLong(2, to);
        return hits(kRange);
    }

    @Override
    public List<Hit> nameFrom(String from, int limit) throws SQLException {
        nameFrom.setString(1, from);
        nameFrom.setInt(2, limit);
        return hits(nameFrom);
    }

    @Override
    public List<String> checkPlans() throws SQLException {
        return List.of(plan(BY_K, "by_k", 0L), plan(K_RANGE, "by_k", 0L, 100L),
                plan(NAME_FROM, "by_name", IndexedRow.nameOf(0), 100));
    }

    /** {@code EXPLAIN QUERY PLAN}: must search the index, and neither scan the table nor sort. */
    private String plan(String sql, String index, Object... parameters) throws SQLException {
        List<String> details = new ArrayList<>();
        try (PreparedStatement explain = connection.prepareStatement("EXPLAIN QUERY PLAN " + sql)) {
            for (int i = 0; i < parameters.length; i++) {
                explain.setObject(i + 1, parameters[i]);
            }
            try (ResultSet rs = explain.executeQuery()) {
                while (rs.next()) {
                    details.add(rs.getString("detail"));
                }
            }
        }
        String text = String.join("; ", details);
        boolean searchesIndex = details.stream().anyMatch(d -> d.startsWith("SEARCH item USING INDEX " + index + " "));
        boolean scansOrSorts = details.stream().anyMatch(d -> d.startsWith("SCAN") || d.contains("TEMP B-TREE"));
        if (!searchesIndex || scansOrSorts) {
            throw new IllegalStateException("SQLite plan of '" + sql + "' does not search " + index + " in order: " + text);
        }
        return text;
    }

    @Override
    public long idOf(long key) {
        return key;
    }

    @Override
    public void close() {
        try {
            connection.close();
        } catch (SQLException e) {
            throw new IllegalStateException("closing SQLite failed", e);
        }
    }
}

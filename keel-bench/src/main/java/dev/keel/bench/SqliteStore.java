package dev.keel.bench;

import java.nio.file.Path;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.sqlite.SQLiteConfig;

/**
 * SQLite through sqlite-jdbc with {@code journal_mode=WAL} and {@code synchronous=FULL} (the WAL is
 * synced at every commit), a 60 s busy timeout and IMMEDIATE transactions so that concurrent
 * writers queue instead of failing. The row is a real table, {@code person(id INTEGER PRIMARY KEY,
 * name TEXT, age INTEGER, score REAL)}: the id is the 8-byte rowid key, the columns are the row's
 * fields. One connection per session (a JDBC connection is not thread-safe).
 */
final class SqliteStore implements Store {
    static final StoreKind KIND = new StoreKind("sqlite", "SQLite",
            "sqlite-jdbc, journal_mode=WAL, synchronous=FULL, busy_timeout=60s, BEGIN IMMEDIATE",
            SqliteStore::version, SqliteStore::open);

    private final SQLiteConfig config;
    private final String url;
    /** Held open for the store's life so the WAL is not checkpointed and removed between sessions. */
    private final Connection anchor;
    private final List<SqliteSession> sessions = new CopyOnWriteArrayList<>();

    private SqliteStore(SQLiteConfig config, String url) throws SQLException {
        this.config = config;
        this.url = url;
        this.anchor = config.createConnection(url);
        try (Statement st = anchor.createStatement()) {
            st.executeUpdate("CREATE TABLE IF NOT EXISTS person(id INTEGER PRIMARY KEY, name TEXT NOT NULL,"
                    + " age INTEGER NOT NULL, score REAL NOT NULL)");
        }
    }

    static Store open(Path directory, IdTable ids) throws SQLException {
        return new SqliteStore(config(), url(directory));
    }

    /** The settings of {@link #KIND}, shared with {@link SqliteIndexedStore} so both run alike. */
    /** SQL work that may throw. */
    interface SqlWork {
        void run() throws SQLException;
    }

    /** Runs {@code work} in one {@code BEGIN IMMEDIATE} transaction: committed if it returns, rolled back if it throws. */
    static void inTransaction(Statement control, SqlWork work) throws SQLException {
        control.execute("BEGIN IMMEDIATE");
        boolean committed = false;
        try {
            work.run();
            control.execute("COMMIT");
            committed = true;
        } finally {
            if (!committed) {
                control.execute("ROLLBACK");
            }
        }
    }

    static SQLiteConfig config() {
        SQLiteConfig config = new SQLiteConfig();
        config.setJournalMode(SQLiteConfig.JournalMode.WAL);
        config.setSynchronous(SQLiteConfig.SynchronousMode.FULL);
        config.setBusyTimeout(60_000);
        config.setTransactionMode(SQLiteConfig.TransactionMode.IMMEDIATE);
        return config;
    }

    static String url(Path directory) {
        return "jdbc:sqlite:" + directory.resolve("bench.sqlite");
    }

    static String version() {
        try (Connection c = new SQLiteConfig().createConnection("jdbc:sqlite::memory:")) {
            return c.getMetaData().getDatabaseProductVersion() + " (sqlite-jdbc " + c.getMetaData().getDriverVersion() + ")";
        } catch (SQLException e) {
            return "unknown (" + e.getMessage() + ")";
        }
    }

    @Override
    public Session session() throws SQLException {
        SqliteSession s = new SqliteSession(config.createConnection(url));
        sessions.add(s);
        return s;
    }

    @Override
    public void close() {
        try {
            for (SqliteSession s : sessions) {
                s.close();
            }
            anchor.close();
        } catch (SQLException e) {
            throw new IllegalStateException("closing SQLite failed", e);
        }
    }

    private static final class SqliteSession implements Session {
        private final Connection connection;
        private final Statement control;
        private final PreparedStatement insert;
        private final PreparedStatement select;
        private boolean closed;

        SqliteSession(Connection connection) throws SQLException {
            this.connection = connection;
            this.control = connection.createStatement();
            this.insert = connection.prepareStatement("INSERT INTO person(id, name, age, score) VALUES (?, ?, ?, ?)");
            this.select = connection.prepareStatement("SELECT name, age, score FROM person WHERE id = ?");
        }

        private void bind(long key, Row row) throws SQLException {
            insert.setLong(1, key);
            insert.setString(2, row.name());
            insert.setLong(3, row.age());
            insert.setDouble(4, row.score());
        }

        @Override
        public void insert(long key, Row row) throws SQLException {
            bind(key, row); // autocommit: one implicit transaction
            insert.executeUpdate();
        }

        @Override
        public void insertBatch(long firstKey, int count) throws SQLException {
            inTransaction(control, () -> {
                for (int i = 0; i < count; i++) {
                    bind(firstKey + i, Row.forKey(firstKey + i));
                    insert.executeUpdate();
                }
            });
        }

        @Override
        public Row read(long key) throws SQLException {
            select.setLong(1, key);
            try (ResultSet rs = select.executeQuery()) {
                return rs.next() ? new Row(rs.getString(1), rs.getLong(2), rs.getDouble(3)) : null;
            }
        }

        @Override
        public synchronized void close() {
            if (!closed) {
                closed = true;
                try {
                    connection.close();
                } catch (SQLException e) {
                    throw new IllegalStateException("closing a SQLite connection failed", e);
                }
            }
        }
    }
}

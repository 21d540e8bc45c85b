package dev.keel.testkit.example;

import dev.keel.KeelDb;
import dev.keel.KeelOptions;
import dev.keel.Required;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.Set;
import java.util.stream.Collectors;

/**
 * The "application" of the testkit example: a tiny bank on KeelDB. It stands for user code; the
 * point of the example is {@link BankCrashTest}, which runs it against the testkit.
 *
 * <p>Its own recovery logic: every transfer carries a client request id, stored with the transfer
 * in the same transaction. A client that got an error (for example because the machine lost power
 * during the commit) does not know whether its transfer happened, so it retries with the same id
 * after the restart, and the bank applies it only if it is not already there.
 */
final class Bank implements AutoCloseable {
    record Account(@Required String owner, long balance) {
    }

    record Transfer(@Required String requestId, long source, long target, long amount) {
    }

    private final KeelDb db;

    /** Opens the bank's database with the caller's options (tests add the fault layers). */
    Bank(Path directory, KeelOptions.Builder options) {
        this.db = KeelDb.open(directory, options.entityType(Account.class).entityType(Transfer.class).build());
    }

    long openAccount(String owner, long balance) {
        return db.write(tx -> tx.insert(new Account(owner, balance)));
    }

    /**
     * Moves {@code amount} from one account to another, once per {@code requestId}: returns true if
     * it was applied now, false if a transfer with this id was applied before.
     */
    boolean transfer(String requestId, long source, long target, long amount) {
        return db.write(tx -> {
            if (tx.scan(Transfer.class).anyMatch(t -> t.requestId().equals(requestId))) {
                return false;
            }
            Account from = tx.get(Account.class, source).orElseThrow();
            Account to = tx.get(Account.class, target).orElseThrow();
            tx.update(source, new Account(from.owner(), from.balance() - amount));
            tx.update(target, new Account(to.owner(), to.balance() + amount));
            tx.insert(new Transfer(requestId, source, target, amount));
            return true;
        });
    }

    long balance(long account) {
        return db.read(s -> s.get(Account.class, account).orElseThrow().balance());
    }

    long totalBalance() {
        return db.read(s -> s.scan(Account.class).mapToLong(Account::balance).sum());
    }

    /** Request ids of the applied transfers, each once (a duplicate would be a bug). */
    Set<String> appliedRequests() {
        return db.read(s -> {
            var ids = s.scan(Transfer.class).map(Transfer::requestId).toList();
            Set<String> unique = new HashSet<>(ids);
            if (unique.size() != ids.size()) {
                throw new IllegalStateException("a transfer was applied twice: " + ids.stream()
                        .collect(Collectors.groupingBy(i -> i, Collectors.counting())));
            }
            return unique;
        });
    }

    void checkpoint() {
        db.checkpoint();
    }

    @Override
    public void close() {
        db.close();
    }
}

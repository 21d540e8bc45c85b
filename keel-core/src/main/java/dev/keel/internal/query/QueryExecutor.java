package dev.keel.internal.query;

import dev.keel.Entity;
import dev.keel.internal.index.ByteKeyTree;
import dev.keel.internal.index.IndexKeys;
import dev.keel.internal.store.Store;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collection;
import java.util.Comparator;
import java.util.Iterator;
import java.util.List;
import java.util.NoSuchElementException;
import java.util.Spliterator;
import java.util.Spliterators;
import java.util.function.LongPredicate;
import java.util.stream.Stream;
import java.util.stream.StreamSupport;

/**
 * Runs a {@link PlannedQuery} over a store version: reads the index range (forwards, or backwards
 * for a descending order the index provides) or scans the type, decodes each entity, keeps those
 * that meet every condition, sorts when the plan says so, and stops at the limit. Lazy unless it
 * sorts. For a transaction, {@link #run} merges in its own writes: entities it wrote are skipped in
 * the store version and taken from {@code own} instead (those that match), in the plan's order.
 */
public final class QueryExecutor {
    /** Decodes an entity of the plan's type; the caller's rules for damaged bytes apply. */
    public interface Decoder {
        Entity decode(long id, byte[] value);
    }

    private QueryExecutor() {
    }

    /**
     * @param skip ids whose version in {@code store} is superseded (a transaction's own writes)
     * @param own the transaction's own current entities of the type (deleted ones left out)
     */
    public static Stream<Entity> run(Store store, PlannedQuery p, Decoder decoder, LongPredicate skip,
            Collection<Entity> own) {
        Iterator<Entity> base = read(store, p, decoder, skip);
        Iterator<Entity> results;
        Comparator<Entity> order = p.order();
        if (p.sorted()) {
            List<Entity> all = new ArrayList<>();
            base.forEachRemaining(all::add);
            own.stream().filter(p::matches).forEach(all::add);
            all.sort(order);
            results = all.iterator();
        } else if (own.isEmpty()) {
            results = base;
        } else {
            List<Entity> mine = new ArrayList<>(own.stream().filter(p::matches).toList());
            mine.sort(order);
            results = merge(base, mine.iterator(), order);
        }
        Stream<Entity> s = StreamSupport.stream(Spliterators.spliteratorUnknownSize(results,
                Spliterator.ORDERED | Spliterator.NONNULL), false);
        return p.query().limit() == Integer.MAX_VALUE ? s : s.limit(p.query().limit());
    }

    private static Iterator<Entity> read(Store store, PlannedQuery p, Decoder decoder, LongPredicate skip) {
        int typeId = p.type().typeId();
        if (p.index() == null) {
            Store.Cursor c = store.scan(typeId, Long.MIN_VALUE);
            return new Filtered(p) {
                @Override
                Entity advance() {
                    while (c.next()) {
                        if (!skip.test(c.id())) {
                            return decoder.decode(c.id(), c.value());
                        }
                    }
                    return null;
                }
            };
        }
        ByteKeyTree tree = store.index(typeId, p.index().indexId());
        boolean backwards = p.readsBackwards();
        ByteKeyTree.Cursor c = backwards ? tree.descending(p.hi(), false) : tree.ascending(p.lo(), true);
        return new Filtered(p) {
            @Override
            Entity advance() {
                while (c.next()) {
                    byte[] key = c.key();
                    if (backwards ? Arrays.compareUnsigned(key, p.lo()) < 0
                            : p.hi() != null && Arrays.compareUnsigned(key, p.hi()) >= 0) {
                        return null;
                    }
                    long id = IndexKeys.id(key);
                    if (skip.test(id)) {
                        continue;
                    }
                    byte[] value = store.get(typeId, id);
                    if (value == null) {
                        throw new IllegalStateException("index " + p.index().name() + " of " + p.type().name()
                                + " lists id " + id + ", which the store version at LSN " + store.lsn() + " lacks");
                    }
                    return decoder.decode(id, value);
                }
                return null;
            }
        };
    }

    /** Entities from {@link #advance} that meet the plan's conditions. */
    private abstract static class Filtered implements Iterator<Entity> {
        private final PlannedQuery plan;
        private Entity next;
        private boolean done;

        Filtered(PlannedQuery plan) {
            this.plan = plan;
        }

        /** The next candidate, or null at the end. */
        abstract Entity advance();

        @Override
        public boolean hasNext() {
            while (next == null && !done) {
                Entity e = advance();
                if (e == null) {
                    done = true;
                } else if (plan.matches(e)) {
                    next = e;
                }
            }
            return next != null;
        }

        @Override
        public Entity next() {
            if (!hasNext()) {
                throw new NoSuchElementException();
            }
            Entity e = next;
            next = null;
            return e;
        }
    }

    private static Iterator<Entity> merge(Iterator<Entity> a, Iterator<Entity> b, Comparator<Entity> order) {
        return new Iterator<>() {
            private Entity x = a.hasNext() ? a.next() : null;
            private Entity y = b.hasNext() ? b.next() : null;

            @Override
            public boolean hasNext() {
                return x != null || y != null;
            }

            @Override
            public Entity next() {
                if (!hasNext()) {
                    throw new NoSuchElementException();
                }
                Entity out;
                if (y == null || (x != null && order.compare(x, y) <= 0)) {
                    out = x;
                    x = a.hasNext() ? a.next() : null;
                } else {
                    out = y;
                    y = b.hasNext() ? b.next() : null;
                }
                return out;
            }
        };
    }
}

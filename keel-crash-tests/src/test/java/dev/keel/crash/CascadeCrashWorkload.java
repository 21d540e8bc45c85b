package dev.keel.crash;

import static dev.keel.crash.CrashWorkload.emit;

import dev.keel.Durability;
import dev.keel.Entity;
import dev.keel.EntityType;
import dev.keel.Field;
import dev.keel.KeelDb;
import dev.keel.KeelOptions;
import dev.keel.OnDelete;
import dev.keel.RecoveryMode;
import dev.keel.Snapshot;
import dev.keel.Transaction;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.StringJoiner;
import java.util.TreeMap;
import java.util.stream.Stream;

/**
 * The child JVM of {@link CascadeKillCrashIT}: one thread commits durable transactions over entity
 * types linked by foreign keys, many of them cascade deletes of tens to hundreds of entities (some
 * larger than the 64 KiB segments), until the parent kills it.
 *
 * <p>Schema: a Team has a lead (Person, SET_NULL); a Person belongs to a Team (CASCADE) and has a
 * mentor (Person, SET_NULL); a Task has an owner (Person, CASCADE), a parent (Task, CASCADE: chains of
 * subtasks) and a reviewer (Person, SET_NULL); the Clock entity holds the number of the last
 * transaction, which every transaction sets.
 *
 * <p>Protocol (lines of less than {@code PIPE_BUF} bytes, see {@link CrashWorkload}):
 * <pre>
 * OPENING / READY &lt;clock seq&gt;
 * DEL &lt;seq&gt; &lt;Type#id&gt; ...                 entities the cascade delete of transaction seq removes (several lines)
 * CLR &lt;seq&gt; &lt;Type#id.field=oldRef&gt; ...   fields it sets to null (several lines)
 * TRY &lt;seq&gt; &lt;kind&gt; &lt;digest&gt;           before commit(): the digest of the whole database if it commits
 * ACK &lt;seq&gt;                             after commit() returned
 * FAIL &lt;text&gt;
 * </pre>
 * The DEL and CLR lines are what the transaction itself saw its delete do (its view before and after
 * {@code delete}), printed before TRY. Arguments: {@code <directory> <seed>}.
 */
public final class CascadeCrashWorkload {
    static final String TEAM = "Team";
    static final String PERSON = "Person";
    static final String TASK = "Task";
    static final String CLOCK = "Clock";
    static final List<String> TYPES = List.of(TEAM, PERSON, TASK, CLOCK);
    /** Reference fields: type, field, target. */
    static final List<String[]> REFERENCES = List.of(new String[] {TEAM, "lead", PERSON},
            new String[] {PERSON, "team", TEAM}, new String[] {PERSON, "mentor", PERSON},
            new String[] {TASK, "owner", PERSON}, new String[] {TASK, "parent", TASK},
            new String[] {TASK, "reviewer", PERSON});
    private static final int LINE_BYTES = 3000;

    private CascadeCrashWorkload() {
    }

    static KeelOptions options() {
        return KeelOptions.builder()
                .durability(Durability.SYNC)
                .segmentSizeInBytes(KeelOptions.MIN_SEGMENT_SIZE)
                .checkpointLogSizeInBytes(KeelOptions.MIN_SEGMENT_SIZE)
                .checkpointInterval(Duration.ofSeconds(1))
                .recoveryMode(RecoveryMode.NORMAL)
                .entityTypes(
                        EntityType.builder(TEAM).field(Field.longField("tx").required()).field(Field.text("name"))
                                .field(Field.reference("lead", PERSON).onDelete(OnDelete.SET_NULL)).build(),
                        EntityType.builder(PERSON).field(Field.longField("tx").required()).field(Field.text("name"))
                                .field(Field.reference("team", TEAM).required().onDelete(OnDelete.CASCADE))
                                .field(Field.reference("mentor", PERSON).onDelete(OnDelete.SET_NULL)).build(),
                        EntityType.builder(TASK).field(Field.longField("tx").required()).field(Field.text("title"))
                                .field(Field.reference("owner", PERSON).required().onDelete(OnDelete.CASCADE))
                                .field(Field.reference("parent", TASK).onDelete(OnDelete.CASCADE))
                                .field(Field.reference("reviewer", PERSON).onDelete(OnDelete.SET_NULL)).build(),
                        EntityType.builder(CLOCK).field(Field.longField("seq").required()).build())
                .build();
    }

    /** Everything of the four types: "Type#id" -> values, sorted. */
    static Map<String, Map<String, Object>> contents(Snapshot s) {
        Map<String, Map<String, Object>> all = new TreeMap<>();
        for (String type : TYPES) {
            try (Stream<Entity> entities = s.scan(type)) {
                entities.forEach(e -> all.put(type + "#" + e.id(), new TreeMap<>(e.values())));
            }
        }
        return all;
    }

    /** A digest of {@link #contents}. */
    static String digest(Map<String, Map<String, Object>> contents) {
        try {
            MessageDigest md = MessageDigest.getInstance("SHA-256");
            contents.forEach((k, v) -> md.update((k + "=" + v + "\n").getBytes(StandardCharsets.UTF_8)));
            return HexFormat.of().formatHex(md.digest(), 0, 12);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    /** Every non-null reference of {@code contents} to an entity it does not hold. */
    static List<String> dangling(Map<String, Map<String, Object>> contents) {
        List<String> out = new ArrayList<>();
        for (String[] r : REFERENCES) {
            contents.forEach((k, v) -> {
                Object ref = v.get(r[1]);
                if (k.startsWith(r[0] + "#") && ref != null && !contents.containsKey(r[2] + "#" + ref)) {
                    out.add(k + "." + r[1] + " -> " + r[2] + "#" + ref);
                }
            });
        }
        return out;
    }

    public static void main(String[] args) {
        Path dir = Path.of(args[0]);
        SplittableRandom random = new SplittableRandom(Long.parseLong(args[1]));
        CrashWorkload.startParentWatch();
        emit("OPENING");
        try (KeelDb db = KeelDb.open(dir, options())) {
            long seq = db.snapshot().scan(CLOCK).findFirst().map(e -> e.getLong("seq")).orElse(0L);
            emit("READY " + seq);
            while (true) {
                seq++;
                commit(db, seq, random);
                emit("ACK " + seq);
            }
        } catch (Throwable t) {
            emit("FAIL " + String.valueOf(t).replace('\n', ' '));
            t.printStackTrace();
            Runtime.getRuntime().halt(2);
        }
    }

    private static void commit(KeelDb db, long seq, SplittableRandom random) {
        try (Transaction tx = db.begin()) {
            Map<String, List<Long>> ids = ids(tx);
            if (ids.get(CLOCK).isEmpty()) {
                tx.insert(CLOCK, Map.of("seq", seq));
            } else {
                tx.update(CLOCK, ids.get(CLOCK).get(0), Map.of("seq", seq));
            }
            int population = ids.get(TEAM).size() + ids.get(PERSON).size() + ids.get(TASK).size();
            boolean big = random.nextInt(6) == 0;
            int dice = random.nextInt(100);
            String kind;
            if (ids.get(PERSON).size() < 8 || (population < 600 && dice < 40)) {
                kind = "grow";
                grow(tx, seq, ids, big, random);
            } else if (dice < 55) {
                kind = "edit";
                for (int i = 0, n = 1 + random.nextInt(6); i < n; i++) {
                    List<Long> people = ids.get(PERSON);
                    switch (random.nextInt(3)) {
                        case 0 -> set(tx, PERSON, pick(people, random), "mentor", random.nextInt(4) == 0 ? null
                                : pick(people, random));
                        case 1 -> set(tx, TEAM, pick(ids.get(TEAM), random), "lead", pick(people, random));
                        default -> {
                            if (!ids.get(TASK).isEmpty()) {
                                set(tx, TASK, pick(ids.get(TASK), random), "reviewer", pick(people, random));
                            }
                        }
                    }
                }
            } else {
                int d = random.nextInt(100);
                String type = d < 60 ? TEAM : d < 90 || ids.get(TASK).isEmpty() ? PERSON : TASK;
                kind = "delete-" + type;
                cascadeDelete(tx, seq, type, pick(ids.get(type), random));
                if (big) {
                    grow(tx, seq, ids(tx), true, random); // a team replaced by a new one: larger than a segment
                }
            }
            emit("TRY " + seq + " " + kind + " " + digest(contents(tx)));
            tx.commit();
        }
    }

    private static Map<String, List<Long>> ids(Transaction tx) {
        Map<String, List<Long>> ids = new HashMap<>();
        for (String type : TYPES) {
            try (Stream<Entity> s = tx.scan(type)) {
                ids.put(type, new ArrayList<>(s.map(Entity::id).toList()));
            }
        }
        return ids;
    }

    /** Deletes {@code type#id} and prints what the delete removed and cleared, as the transaction sees it. */
    private static void cascadeDelete(Transaction tx, long seq, String type, long id) {
        Map<String, Map<String, Object>> before = contents(tx);
        if (!tx.delete(type, id)) {
            throw new IllegalStateException("delete of live " + type + "#" + id + " returned false");
        }
        Map<String, Map<String, Object>> after = contents(tx);
        List<String> deleted = new ArrayList<>();
        List<String> cleared = new ArrayList<>();
        before.forEach((k, v) -> {
            Map<String, Object> now = after.get(k);
            if (now == null) {
                deleted.add(k);
                return;
            }
            for (String[] r : REFERENCES) {
                if (k.startsWith(r[0] + "#") && v.get(r[1]) != null && now.get(r[1]) == null) {
                    cleared.add(k + "." + r[1] + "=" + v.get(r[1]));
                }
            }
        });
        printChunks("DEL " + seq, deleted);
        printChunks("CLR " + seq, cleared);
    }

    private static void printChunks(String prefix, List<String> items) {
        StringJoiner line = new StringJoiner(" ", prefix + " ", "");
        int length = prefix.length();
        for (String item : items) {
            if (length + item.length() + 1 > LINE_BYTES) {
                emit(line.toString());
                line = new StringJoiner(" ", prefix + " ", "");
                length = prefix.length();
            }
            line.add(item);
            length += item.length() + 1;
        }
        if (length > prefix.length()) {
            emit(line.toString());
        }
    }

    private static void grow(Transaction tx, long seq, Map<String, List<Long>> ids, boolean big,
            SplittableRandom random) {
        List<Long> oldPeople = ids.get(PERSON);
        long team = tx.insert(TEAM, Map.of("tx", seq, "name", text(big, random)));
        List<Long> members = new ArrayList<>();
        for (int i = 0, n = 2 + random.nextInt(15); i < n; i++) {
            Map<String, Object> v = new LinkedHashMap<>(Map.of("tx", seq, "name", text(big, random), "team", team));
            List<Long> mentors = random.nextBoolean() ? oldPeople : members;
            if (!mentors.isEmpty() && random.nextInt(3) != 0) {
                v.put("mentor", pick(mentors, random));
            }
            members.add(tx.insert(PERSON, v));
        }
        List<Long> everyone = new ArrayList<>(oldPeople);
        everyone.addAll(members);
        List<Long> tasks = ids.get(TASK);
        for (int chain = 0, chains = random.nextInt(9); chain < chains; chain++) {
            Long parent = !tasks.isEmpty() && random.nextInt(3) == 0 ? pick(tasks, random) : null;
            for (int depth = 0, n = 1 + random.nextInt(12); depth < n; depth++) {
                long owner = random.nextInt(4) == 0 ? pick(everyone, random) : pick(members, random);
                Map<String, Object> v = new LinkedHashMap<>(Map.of("tx", seq, "title", text(big, random),
                        "owner", owner));
                if (parent != null) {
                    v.put("parent", parent);
                }
                if (random.nextBoolean()) {
                    v.put("reviewer", pick(everyone, random));
                }
                parent = tx.insert(TASK, v);
            }
        }
        set(tx, TEAM, team, "lead", random.nextInt(4) == 0 ? pick(everyone, random) : pick(members, random));
        if (!ids.get(TEAM).isEmpty() && random.nextBoolean()) {
            set(tx, TEAM, pick(ids.get(TEAM), random), "lead", pick(members, random));
        }
    }

    private static void set(Transaction tx, String type, long id, String field, Object value) {
        if (tx.get(type, id).isEmpty()) {
            return; // deleted by this transaction's cascade
        }
        Map<String, Object> change = new HashMap<>();
        change.put(field, value);
        tx.update(type, id, change);
    }

    private static long pick(List<Long> ids, SplittableRandom random) {
        return ids.get(random.nextInt(ids.size()));
    }

    private static String text(boolean big, SplittableRandom random) {
        int len = big ? 1000 + random.nextInt(3000) : 1 + random.nextInt(60);
        char[] c = new char[len];
        for (int i = 0; i < len; i++) {
            c[i] = (char) ('a' + random.nextInt(26));
        }
        return new String(c);
    }
}

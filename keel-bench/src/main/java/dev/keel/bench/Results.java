package dev.keel.bench;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.EnumMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/** Every run's figures, per measurement and store, and what failed. Used from the main thread only. */
final class Results {
    /** Raw fsync cases in report order, each with its runs. */
    final Map<String, List<PhaseResult>> fsync = new LinkedHashMap<>();
    private final Map<Bench, Map<StoreKind, List<PhaseResult>>> phases = new EnumMap<>(Bench.class);
    final Map<StoreKind, List<Double>> diskBytesPerEntity = new LinkedHashMap<>();
    final List<Double> heapPerEntityAfterLoad = new ArrayList<>();
    final List<Double> heapPerEntityAfterReopen = new ArrayList<>();
    /** Index benchmark: figures by label (in the order measured), per store, one per run. */
    final Map<String, Map<StoreKind, List<IndexBenchmark.Figure>>> index = new LinkedHashMap<>();
    /** Index benchmark: the query plans each store reported (the last run's). */
    final Map<StoreKind, List<String>> indexPlans = new LinkedHashMap<>();
    final Map<StoreKind, String> versions = new LinkedHashMap<>();
    /** First failure per store and measurement: "bench: message". */
    final Map<StoreKind, Map<Bench, String>> failures = new LinkedHashMap<>();

    void add(Bench bench, StoreKind kind, PhaseResult result) {
        phases.computeIfAbsent(bench, b -> new LinkedHashMap<>()).computeIfAbsent(kind, k -> new ArrayList<>())
                .add(result);
    }

    /** The median run of a measurement for a store, if it has any run. */
    Optional<PhaseResult> median(Bench bench, StoreKind kind) {
        List<PhaseResult> runs = phases.getOrDefault(bench, Map.of()).get(kind);
        return runs == null || runs.isEmpty() ? Optional.empty() : Optional.of(PhaseResult.median(runs));
    }

    /** Reopen times are kept as one-operation phases; the median time is the median of elapsed times. */
    Optional<Double> medianMillis(Bench bench, StoreKind kind) {
        List<PhaseResult> runs = phases.getOrDefault(bench, Map.of()).get(kind);
        if (runs == null || runs.isEmpty()) {
            return Optional.empty();
        }
        return Optional.of(PhaseResult.median(runs.stream().mapToDouble(PhaseResult::elapsedMillis).toArray()));
    }

    void addIndex(StoreKind kind, IndexBenchmark.Result result) {
        for (IndexBenchmark.Figure f : result.figures()) {
            index.computeIfAbsent(f.label(), l -> new LinkedHashMap<>()).computeIfAbsent(kind, k -> new ArrayList<>()).add(f);
        }
        indexPlans.put(kind, result.plans());
    }

    /** The run with the median value of an index figure (lower middle for an even count), if any. */
    Optional<IndexBenchmark.Figure> indexMedian(String label, StoreKind kind) {
        List<IndexBenchmark.Figure> runs = index.getOrDefault(label, Map.of()).get(kind);
        if (runs == null || runs.isEmpty()) {
            return Optional.empty();
        }
        List<IndexBenchmark.Figure> sorted = new ArrayList<>(runs);
        sorted.sort(Comparator.comparingDouble(IndexBenchmark.Figure::value));
        return Optional.of(sorted.get((sorted.size() - 1) / 2));
    }

    Optional<PhaseResult> fsyncMedian(String fsyncCase) {
        List<PhaseResult> runs = fsync.get(fsyncCase);
        return runs == null || runs.isEmpty() ? Optional.empty() : Optional.of(PhaseResult.median(runs));
    }

    void fail(StoreKind kind, Bench bench, Throwable error) {
        failures.computeIfAbsent(kind, k -> new LinkedHashMap<>()).putIfAbsent(bench, describe(error));
    }

    boolean failed(StoreKind kind, Bench bench) {
        return failures.getOrDefault(kind, Map.of()).containsKey(bench);
    }

    static String describe(Throwable error) {
        StringBuilder sb = new StringBuilder();
        for (Throwable t = error; t != null; t = t.getCause() == t ? null : t.getCause()) {
            if (sb.length() > 0) {
                sb.append(" caused by ");
            }
            sb.append(t.getClass().getName()).append(": ").append(t.getMessage());
        }
        return sb.toString().replace('\n', ' ');
    }
}

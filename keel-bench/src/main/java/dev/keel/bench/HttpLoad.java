package dev.keel.bench;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * HTTP load against a running server for {@link HttpLoadBenchmark}: a closed loop of
 * {@code connections} clients, each sending its next request when the previous answer arrived,
 * for a fixed time. Two generators with the same workloads: wrk (C, with Lua scripts for the POST
 * bodies and random ids; used when it is installed) and a Java {@link HttpClient} fallback.
 * Every answer must be 2xx; anything else is counted and reported.
 */
abstract class HttpLoad {
    /** A workload: durable inserts (optionally each with its own Idempotency-Key), or reads of random ids. */
    enum Workload { INSERT, INSERT_IDEMPOTENT, READ }

    /** The measured rate and latencies, and the answers that were not 2xx (or failed). */
    record Result(PhaseResult phase, long failures) {
    }

    /** What the report says about the generator. */
    abstract String describe(int connections);

    abstract Result run(String baseUrl, Workload workload, long lowId, long highId, int connections, Duration duration)
            throws Exception;

    /** wrk if it is on the PATH, else the Java client. */
    static HttpLoad choose(String client, Path scratch) {
        boolean wrk = Wrk.available();
        if (client.equals("wrk") && !wrk) {
            throw new IllegalArgumentException("--client wrk: wrk is not installed (apt-get install wrk)");
        }
        return client.equals("java") || !wrk ? new JavaClient() : new Wrk(scratch);
    }

    /** The request body of the n-th insert of client {@code c}: the PeerBenchmark row shape. */
    static String insertBody(long c, long n) {
        return String.format(Locale.ROOT, "{\"values\":{\"name\":\"p-%03d-%014d\",\"age\":%d,\"score\":1.5}}", c % 1000,
                n, n % 90);
    }

    /** wrk 4 with Lua scripts; threads = min(connections, cores). */
    static final class Wrk extends HttpLoad {
        private static final String INSERT_LUA = """
                -- POST /v1/entities/Person, a new name per request; arg 1 "idem" adds an Idempotency-Key,
                -- unique per run (arg 2), thread and request.
                local threads = 0
                function setup(thread)
                  thread:set("tid", threads)
                  threads = threads + 1
                end
                function init(args)
                  counter = 0
                  idem = args[1] == "idem"
                  run = args[2] or "0"
                end
                function request()
                  counter = counter + 1
                  local body = string.format('{"values":{"name":"p-%03d-%014d","age":%d,"score":1.5}}',
                      tid, counter, counter % 90)
                  local headers = {["Content-Type"] = "application/json"}
                  if idem then
                    headers["Idempotency-Key"] = "k-" .. run .. "-" .. tid .. "-" .. counter
                  end
                  return wrk.format("POST", "/v1/entities/Person", headers, body)
                end
                """;
        private static final String READ_LUA = """
                -- GET /v1/entities/Person/{id}, ids uniformly random in [arg 1, arg 2].
                local threads = 0
                function setup(thread)
                  thread:set("tid", threads)
                  threads = threads + 1
                end
                function init(args)
                  lo = tonumber(args[1])
                  hi = tonumber(args[2])
                  math.randomseed(os.time() + tid * 7919)
                end
                function request()
                  return wrk.format("GET", "/v1/entities/Person/" .. math.random(lo, hi))
                end
                """;
        private static final Pattern RATE = Pattern.compile("Requests/sec:\\s+([0-9.]+)");
        private static final Pattern TOTAL = Pattern.compile("(\\d+) requests in ([0-9.]+)(us|ms|s|m)");
        private static final Pattern NON_2XX = Pattern.compile("Non-2xx or 3xx responses: (\\d+)");
        private static final Pattern SOCKET = Pattern.compile("Socket errors: connect (\\d+), read (\\d+), write (\\d+),"
                + " timeout (\\d+)");

        private final Path scratch;

        Wrk(Path scratch) {
            this.scratch = scratch;
        }

        static boolean available() {
            try {
                Process p = new ProcessBuilder("wrk", "-v").redirectErrorStream(true).start();
                p.getInputStream().readAllBytes();
                p.waitFor(10, TimeUnit.SECONDS);
                return true;
            } catch (IOException e) {
                return false;
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return false;
            }
        }

        @Override
        String describe(int connections) {
            String version = MachineInfo.command(List.of("wrk", "-v")).lines().findFirst().orElse("wrk");
            return version.replace(" Copyright (C) 2012 Will Glozer", "") + ", " + threads(connections) + " threads, "
                    + connections + " connections (closed loop), Lua scripts for the bodies and ids";
        }

        private static int threads(int connections) {
            return Math.max(1, Math.min(connections, Runtime.getRuntime().availableProcessors()));
        }

        @Override
        Result run(String baseUrl, Workload workload, long lowId, long highId, int connections, Duration duration)
                throws Exception {
            Files.createDirectories(scratch);
            Path script = scratch.resolve(workload == Workload.READ ? "read.lua" : "insert.lua");
            Files.writeString(script, workload == Workload.READ ? READ_LUA : INSERT_LUA, StandardCharsets.UTF_8);
            List<String> command = new ArrayList<>(List.of("wrk", "-t", Integer.toString(threads(connections)), "-c",
                    Integer.toString(connections), "-d", duration.toSeconds() + "s", "--latency", "--timeout", "30s",
                    "-s", script.toString(), baseUrl, "--"));
            switch (workload) {
                case READ -> command.addAll(List.of(Long.toString(lowId), Long.toString(highId)));
                case INSERT_IDEMPOTENT -> command.addAll(List.of("idem", Long.toString(System.nanoTime())));
                case INSERT -> command.addAll(List.of("plain", "0"));
            }
            Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
            String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            if (!p.waitFor(duration.toSeconds() + 60, TimeUnit.SECONDS) || p.exitValue() != 0) {
                throw new IllegalStateException("wrk failed: " + String.join(" ", command) + "\n" + out);
            }
            return parse(out);
        }

        static Result parse(String out) {
            Matcher total = TOTAL.matcher(out);
            Matcher rate = RATE.matcher(out);
            if (!total.find() || !rate.find()) {
                throw new IllegalStateException("cannot read wrk's output:\n" + out);
            }
            long requests = Long.parseLong(total.group(1));
            long elapsed = (long) (requests / Double.parseDouble(rate.group(1)) * 1e9);
            long failures = 0;
            Matcher non2xx = NON_2XX.matcher(out);
            if (non2xx.find()) {
                failures += Long.parseLong(non2xx.group(1));
            }
            Matcher socket = SOCKET.matcher(out);
            if (socket.find()) {
                for (int g = 1; g <= 4; g++) {
                    failures += Long.parseLong(socket.group(g));
                }
            }
            return new Result(new PhaseResult(requests, elapsed, percentile(out, "50%"), percentile(out, "99%")),
                    failures);
        }

        private static long percentile(String out, String which) {
            Matcher m = Pattern.compile("\\s" + Pattern.quote(which) + "\\s+([0-9.]+)(us|ms|s|m)").matcher(out);
            if (!m.find()) {
                throw new IllegalStateException("no " + which + " latency in wrk's output (--latency):\n" + out);
            }
            double v = Double.parseDouble(m.group(1));
            return (long) switch (m.group(2)) {
                case "us" -> v * 1e3;
                case "ms" -> v * 1e6;
                case "s" -> v * 1e9;
                default -> v * 60e9;
            };
        }
    }

    /** java.net.http, HTTP/1.1, one thread per connection. */
    static final class JavaClient extends HttpLoad {
        @Override
        String describe(int connections) {
            return "Java HttpClient (wrk not installed), HTTP/1.1, " + connections + " threads (closed loop)";
        }

        @Override
        Result run(String baseUrl, Workload workload, long lowId, long highId, int connections, Duration duration)
                throws Exception {
            HttpClient client = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
            AtomicLong failures = new AtomicLong();
            long runId = System.nanoTime();
            long deadline = System.nanoTime() + duration.toNanos();
            PhaseResult phase = Parallel.run(connections, c -> () -> {
                Latencies lat = new Latencies(100_000);
                for (long n = 1; System.nanoTime() < deadline; n++) {
                    HttpRequest.Builder b;
                    if (workload == Workload.READ) {
                        long id = ThreadLocalRandom.current().nextLong(lowId, highId + 1);
                        b = HttpRequest.newBuilder(URI.create(baseUrl + "/v1/entities/Person/" + id)).GET();
                    } else {
                        b = HttpRequest.newBuilder(URI.create(baseUrl + "/v1/entities/Person"))
                                .header("Content-Type", "application/json")
                                .POST(HttpRequest.BodyPublishers.ofString(insertBody(c, n)));
                        if (workload == Workload.INSERT_IDEMPOTENT) {
                            b.header("Idempotency-Key", "k-" + runId + "-" + c + "-" + n);
                        }
                    }
                    long t0 = System.nanoTime();
                    try {
                        HttpResponse<Void> r = client.send(b.build(), HttpResponse.BodyHandlers.discarding());
                        if (r.statusCode() / 100 != 2) {
                            failures.incrementAndGet();
                        }
                    } catch (IOException e) {
                        failures.incrementAndGet();
                    }
                    lat.add(System.nanoTime() - t0);
                }
                return lat;
            });
            return new Result(phase, failures.get());
        }
    }
}

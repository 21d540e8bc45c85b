package dev.keel.cli;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * {@code keel serve} in a child JVM (the real {@code main}, so signals and shutdown hooks are the
 * real ones), with its output collected and the port it printed parsed. {@link #stop()} sends SIGTERM.
 */
final class ServeProcess implements AutoCloseable {
    private static final Pattern LISTENING = Pattern.compile("listening on https?://[^ ]*:(\\d+)");
    private static final long START_TIMEOUT_MILLIS = 60_000;
    private static final Pattern CURL_URL = Pattern.compile("'?(https?://[^' ]+)'?");
    private static final Pattern CURL_METHOD = Pattern.compile(" -X ([A-Z]+) ");
    private static final Pattern CURL_BODY = Pattern.compile(" -d '(.*)'$");

    private final Process process;
    private final List<String> out = new ArrayList<>();
    private final StringBuffer err = new StringBuffer();
    private final Thread outReader;
    private final Thread errReader;
    private final HttpClient client = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
    private int port = -1;

    private ServeProcess(Process process) {
        this.process = process;
        this.outReader = new Thread(() -> readLines(process.getInputStream()), "serve-stdout");
        this.errReader = new Thread(() -> readErr(process.getErrorStream()), "serve-stderr");
        outReader.start();
        errReader.start();
    }

    /** Starts {@code keel serve args...} in {@code workDir} with {@code env} added to the environment. */
    static ServeProcess start(Path workDir, Map<String, String> env, String... args) throws IOException {
        List<String> command = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java")
                .toString(), "-Xmx256m", "-XX:TieredStopAtLevel=1", "-cp", System.getProperty("java.class.path"),
                KeelCli.class.getName(), "serve"));
        command.addAll(List.of(args));
        ProcessBuilder pb = new ProcessBuilder(command).directory(workDir.toFile());
        pb.environment().remove(dev.keel.server.ops.TokenFile.ENV);
        pb.environment().putAll(env);
        return new ServeProcess(pb.start());
    }

    /** Waits until a stdout line contains {@code text}; returns that line. */
    String awaitLine(String text) throws InterruptedException {
        long deadline = System.currentTimeMillis() + START_TIMEOUT_MILLIS;
        synchronized (out) {
            while (true) {
                for (String line : out) {
                    if (line.contains(text)) {
                        return line;
                    }
                }
                long left = deadline - System.currentTimeMillis();
                if (left <= 0 || !process.isAlive() && !outReader.isAlive()) {
                    throw new AssertionError("keel serve never printed '" + text + "'; " + this);
                }
                out.wait(Math.min(left, 200));
            }
        }
    }

    /** The port it printed (waits for the "listening on" line). */
    int port() throws InterruptedException {
        if (port < 0) {
            Matcher m = LISTENING.matcher(awaitLine("listening on "));
            if (!m.find()) {
                throw new AssertionError("no port in the listening line; " + this);
            }
            port = Integer.parseInt(m.group(1));
        }
        return port;
    }

    HttpResponse<String> get(String path, String... headers) throws Exception {
        return send(HttpRequest.newBuilder(uri(path)).GET(), headers);
    }

    HttpResponse<String> send(HttpRequest.Builder request, String... headers) throws Exception {
        for (int i = 0; i < headers.length; i += 2) {
            request.header(headers[i], headers[i + 1]);
        }
        return client.send(request.timeout(Duration.ofSeconds(30)).build(), HttpResponse.BodyHandlers.ofString());
    }

    /**
     * Sends what a {@code curl} line the server printed would send: its {@code -X} method (GET without),
     * URL and {@code -d} JSON body; {@code headers} are added (name, value pairs).
     */
    HttpResponse<String> curl(String line, String... headers) throws Exception {
        Matcher url = CURL_URL.matcher(line);
        if (!line.strip().startsWith("curl ") || !url.find()) {
            throw new AssertionError("not a curl command with a URL: " + line);
        }
        Matcher method = CURL_METHOD.matcher(line);
        Matcher body = CURL_BODY.matcher(line);
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(url.group(1)));
        if (body.find()) {
            b.header("Content-Type", "application/json").method(method.find() ? method.group(1) : "POST",
                    HttpRequest.BodyPublishers.ofString(body.group(1)));
        } else {
            b.method(method.find() ? method.group(1) : "GET", HttpRequest.BodyPublishers.noBody());
        }
        return send(b, headers);
    }

    /** The printed {@code curl} line that contains {@code text}. */
    String printedCurl(String text) {
        return out().stream().filter(l -> l.strip().startsWith("curl ") && l.contains(text)).findFirst()
                .orElseThrow(() -> new AssertionError("no printed curl line with " + text + "; " + this));
    }

    URI uri(String path) throws InterruptedException {
        return URI.create("http://127.0.0.1:" + port() + path);
    }

    /** Sends SIGTERM and waits for the exit; returns the exit status. */
    int stop() throws InterruptedException {
        // ProcessHandle.destroy (SIGTERM) keeps our ends of the pipes open; Process.destroy closes them.
        process.toHandle().destroy();
        if (!process.waitFor(60, TimeUnit.SECONDS)) {
            process.destroyForcibly();
            throw new AssertionError("keel serve did not stop within 60 s of SIGTERM; " + this);
        }
        outReader.join(10_000);
        errReader.join(10_000);
        return process.exitValue();
    }

    long pid() {
        return process.pid();
    }

    List<String> out() {
        synchronized (out) {
            return new ArrayList<>(out);
        }
    }

    String outText() {
        return String.join("\n", out()) + "\n";
    }

    String err() {
        return err.toString();
    }

    @Override
    public void close() {
        if (process.isAlive()) {
            process.destroyForcibly();
        }
    }

    @Override
    public String toString() {
        return "pid " + process.pid() + (process.isAlive() ? " running" : " exited " + process.exitValue())
                + "\n--- stdout ---\n" + outText() + "--- stderr ---\n" + err();
    }

    private void readLines(InputStream in) {
        try (BufferedReader r = new BufferedReader(new InputStreamReader(in, StandardCharsets.UTF_8))) {
            String line;
            while ((line = r.readLine()) != null) {
                synchronized (out) {
                    out.add(line);
                    out.notifyAll();
                }
            }
        } catch (IOException e) {
            err.append("(could not read stdout: ").append(e).append(")\n");
        } finally {
            synchronized (out) {
                out.notifyAll();
            }
        }
    }

    private void readErr(InputStream in) {
        byte[] buf = new byte[8192];
        try (in) {
            int n;
            while ((n = in.read(buf)) > 0) {
                err.append(new String(buf, 0, n, StandardCharsets.UTF_8));
            }
        } catch (IOException e) {
            err.append("(could not read stderr: ").append(e).append(")\n");
        }
    }
}

package dev.keel.bench;

import java.io.IOException;
import java.lang.management.GarbageCollectorMXBean;
import java.lang.management.ManagementFactory;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;

/** What the report says about the machine: CPU, memory, JVM, operating system and the data disk. */
record MachineInfo(String cpu, int cores, String memory, String jvm, String jvmFlags, String gc, String maxHeap,
                   String os, String disk) {

    static MachineInfo collect(Path dataDir) {
        Runtime rt = Runtime.getRuntime();
        String gc = ManagementFactory.getGarbageCollectorMXBeans().stream()
                .map(GarbageCollectorMXBean::getName).collect(Collectors.joining(", "));
        return new MachineInfo(
                procField(Path.of("/proc/cpuinfo"), "model name").orElse(System.getProperty("os.arch")),
                rt.availableProcessors(),
                procField(Path.of("/proc/meminfo"), "MemTotal").map(MachineInfo::kibToGib).orElse("unknown"),
                System.getProperty("java.vm.name") + " " + System.getProperty("java.runtime.version")
                        + " (" + System.getProperty("java.vm.vendor") + ")",
                String.join(" ", ManagementFactory.getRuntimeMXBean().getInputArguments()),
                gc,
                String.format("%.1f GiB", rt.maxMemory() / (double) (1L << 30)),
                System.getProperty("os.name") + " " + System.getProperty("os.version") + " " + System.getProperty("os.arch"),
                command(List.of("df", "-hT", dataDir.toAbsolutePath().toString())));
    }

    private static java.util.Optional<String> procField(Path file, String key) {
        try {
            return Files.readAllLines(file, StandardCharsets.UTF_8).stream()
                    .filter(l -> l.startsWith(key))
                    .map(l -> l.substring(l.indexOf(':') + 1).trim())
                    .findFirst();
        } catch (IOException | RuntimeException e) {
            return java.util.Optional.empty();
        }
    }

    private static String kibToGib(String memTotal) {
        try {
            long kib = Long.parseLong(memTotal.replace("kB", "").trim());
            return String.format("%.1f GiB", kib / (double) (1L << 20));
        } catch (NumberFormatException e) {
            return memTotal;
        }
    }

    /** The command's output, or why it could not run. */
    static String command(List<String> command) {
        try {
            Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
            String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).trim();
            if (!p.waitFor(10, TimeUnit.SECONDS)) {
                p.destroy();
            }
            return out;
        } catch (IOException e) {
            return String.join(" ", command) + " failed: " + e.getMessage();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return String.join(" ", command) + " interrupted";
        }
    }
}

package io.github.oac.it;

import java.io.File;
import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/** The packaged service as a real process, as an operator runs it: java -jar with env vars. */
final class ServiceProcess implements AutoCloseable {

    private static final String THIS_BUILD = "target/officialaccount-chatgpt.jar";
    private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();

    private final Process process;
    private final String javaHome;
    private final int port;
    private final int managementPort;
    private final File log;

    private ServiceProcess(Process process, String javaHome, int port, int managementPort, File log) {
        this.process = process;
        this.javaHome = javaHome;
        this.port = port;
        this.managementPort = managementPort;
        this.log = log;
    }

    static ServiceProcess start(String name, Map<String, String> env) throws Exception {
        return start(name, env, THIS_BUILD);
    }

    /**
     * Two instances of this build with the same settings, started at once (each start waits for its own health, and
     * mostly waits): the first named first. Should one not start, the other is stopped.
     */
    static List<ServiceProcess> startTwo(String first, String second, Map<String, String> env) throws Exception {
        java.util.concurrent.CompletableFuture<ServiceProcess> other = java.util.concurrent.CompletableFuture
                .supplyAsync(() -> {
                    try {
                        return start(second, env);
                    } catch (Exception e) {
                        throw new IllegalStateException("the service " + second + " did not start", e);
                    }
                });
        ServiceProcess one;
        try {
            one = start(first, env);
        } catch (Exception e) {
            try {
                other.join().close();
            } catch (RuntimeException alsoFailed) {
                e.addSuppressed(alsoFailed);
            }
            throw e;
        }
        try {
            return List.of(one, other.join());
        } catch (RuntimeException e) {
            one.close();
            throw e;
        }
    }

    /**
     * The jar itself, as the Docker image runs it (its nested jars take twice as long to start as the extracted
     * layout the other tests run), on the JDK in javaHome, with this much heap at most (-Xmx).
     */
    static ServiceProcess startPackaged(String name, Map<String, String> env, String javaHome, String maxHeap)
            throws Exception {
        return start(name, env, javaHome, maxHeap, THIS_BUILD, null);
    }

    /** Another build of the service (an earlier release's jar, say). */
    static ServiceProcess start(String name, Map<String, String> env, String jar) throws Exception {
        String extracted = extracted(jar);
        // an earlier release starts twice or so: training a cache for it would cost more than it saves
        return start(name, env, System.getProperty("java.home"), "384m", extracted,
                jar.equals(THIS_BUILD) && !extracted.equals(jar) ? aotCache(extracted) : null);
    }

    /** The JVM flags every start of the service gets here (the AOT cache is trained with them too). */
    private static List<String> jvmFlags(String maxHeap) {
        // C1 only: a start compiles less, and no test here measures peak speed
        return List.of("-Xmx" + maxHeap, "-XX:TieredStopAtLevel=1");
    }

    /**
     * An ahead-of-time cache for an extracted jar (JDK 25, JEP 483 and 514: its classes loaded, linked and profiled
     * once, by a start of the sandbox that exits once its context is refreshed): a start then takes about 2 s
     * instead of 4 on this machine, and the tests start the service dozens of times. Null where there is none (an
     * older JDK, or the training failed): the service starts without it, the same classes from the same jar. Only for
     * the tests' own JDK, the one that made it.
     */
    private static synchronized String aotCache(String jar) throws Exception {
        File cache = new File(new File(jar).getParentFile(), "app.aot");
        if (Runtime.version().feature() < 25) {
            return null;
        }
        if (cache.isFile() && cache.lastModified() >= new File(jar).lastModified()) {
            return cache.getPath();
        }
        java.nio.file.Path data = java.nio.file.Files.createTempDirectory("oac-aot-training");
        List<String> command = new java.util.ArrayList<>(List.of(System.getProperty("java.home") + "/bin/java"));
        command.addAll(jvmFlags("384m"));
        command.addAll(List.of("-XX:AOTCacheOutput=" + cache.getPath(), "-Dspring.context.exit=onRefresh", "-jar",
                jar));
        ProcessBuilder training = new ProcessBuilder(command).redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.DISCARD);
        training.environment().keySet().removeIf(variable -> variable.startsWith("REDIS_")
                || variable.startsWith("WECHAT_") || variable.startsWith("OPENAI_") || variable.startsWith("CHAT_"));
        training.environment().put("CHAT_DATA_DIR", data.toString()); // the sandbox and its embedded Redis
        training.environment().put("SERVER_PORT", "0");
        training.environment().put("MANAGEMENT_SERVER_PORT", "0");
        Process process = training.start();
        boolean trained = process.waitFor(120, TimeUnit.SECONDS) && process.exitValue() == 0 && cache.isFile();
        process.destroyForcibly();
        try (java.util.stream.Stream<java.nio.file.Path> files = java.nio.file.Files.walk(data)) {
            files.sorted(java.util.Comparator.reverseOrder()).map(java.nio.file.Path::toFile).forEach(File::delete);
        }
        if (!trained) {
            cache.delete();
            return null;
        }
        return cache.getPath();
    }

    /**
     * The jar in Spring Boot's extracted layout (java -Djarmode=tools -jar … extract: the application's jar beside
     * its libraries, what Spring Boot recommends for production), once per build of it: a start takes about 4 s
     * instead of 8 on this machine, and the fault runs start dozens. The same classes, resources and settings.
     */
    private static synchronized String extracted(String jar) throws Exception {
        File packaged = new File(jar);
        // one folder per jar path: an earlier release's jar has the same file name
        File folder = new File("target/it-app/" + packaged.getName().replace(".jar", "") + "-"
                + Integer.toHexString(packaged.getAbsolutePath().hashCode()));
        File extractedJar = new File(folder, packaged.getName());
        if (extractedJar.isFile() && extractedJar.lastModified() >= packaged.lastModified()) {
            return extractedJar.getPath();
        }
        java.nio.file.Path destination = folder.toPath();
        if (java.nio.file.Files.exists(destination)) {
            try (java.util.stream.Stream<java.nio.file.Path> old = java.nio.file.Files.walk(destination)) {
                old.sorted(java.util.Comparator.reverseOrder()).map(java.nio.file.Path::toFile).forEach(File::delete);
            }
        }
        Process extract = new ProcessBuilder(System.getProperty("java.home") + "/bin/java", "-Djarmode=tools", "-jar",
                jar, "extract", "--destination", folder.getPath()).redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
        if (!extract.waitFor(60, TimeUnit.SECONDS) || extract.exitValue() != 0 || !extractedJar.isFile()) {
            extract.destroyForcibly();
            return jar; // a build without Spring Boot's jar tools runs as it is
        }
        return extractedJar.getPath();
    }

    private static ServiceProcess start(String name, Map<String, String> env, String javaHome, String maxHeap,
                                        String jar, String aotCache) throws Exception {
        int port = freePort();
        int managementPort = freePort();
        while (managementPort == port) { // the kernel may hand out the port just closed again
            managementPort = freePort();
        }
        File log = new File("target/it-logs/" + name + ".log");
        log.getParentFile().mkdirs();
        List<String> command = new java.util.ArrayList<>(List.of(javaHome + File.separator + "bin" + File.separator
                + "java"));
        command.addAll(jvmFlags(maxHeap));
        if (aotCache != null) {
            command.add("-XX:AOTCache=" + aotCache);
        }
        command.addAll(List.of("-jar", jar));
        ProcessBuilder builder = new ProcessBuilder(command)
                .redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.to(log));
        // a null value removes the variable (REDIS_URL from the developer's shell must not leak in)
        env.forEach((variable, value) -> {
            if (value == null) {
                builder.environment().remove(variable);
            } else {
                builder.environment().put(variable, value);
            }
        });
        builder.environment().put("SERVER_PORT", Integer.toString(port));
        // the processes' answers are judged by their exact text; AiLabelTest tests the label
        builder.environment().putIfAbsent("CHAT_REPLIES_AI_LABEL", "");
        builder.environment().put("MANAGEMENT_SERVER_PORT", Integer.toString(managementPort));
        ServiceProcess service = new ServiceProcess(builder.start(), javaHome, port, managementPort, log);
        try {
            service.awaitHealthy(Duration.ofSeconds(90));
        } catch (Exception | Error notHealthy) {
            service.close(); // never left running
            throw notHealthy;
        }
        return service;
    }

    String url(String path) {
        return "http://127.0.0.1:" + port + path;
    }

    int port() {
        return port;
    }

    /** A URL on the management port (metrics), loopback only. */
    String managementUrl(String path) {
        return "http://127.0.0.1:" + managementPort + path;
    }

    /** A full garbage collection in the service (jcmd GC.run), so that heap figures show what is still held. */
    void collectGarbage() throws IOException, InterruptedException {
        Process jcmd = new ProcessBuilder(javaHome + File.separator + "bin" + File.separator + "jcmd",
                Long.toString(process.pid()), "GC.run").redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
        jcmd.waitFor(30, TimeUnit.SECONDS);
    }

    /** What the service logged so far. */
    String log() throws IOException {
        return java.nio.file.Files.readString(log.toPath());
    }

    boolean isAlive() {
        return process.isAlive();
    }

    /** SIGKILL: no shutdown hook runs, nothing is drained or released. */
    void kill() throws InterruptedException {
        process.destroyForcibly();
        process.waitFor(30, TimeUnit.SECONDS);
    }

    /** SIGTERM: Spring's graceful shutdown, as docker stop or Kubernetes does it. */
    void stop() throws InterruptedException {
        process.destroy();
        if (!process.waitFor(60, TimeUnit.SECONDS)) {
            process.destroyForcibly();
        }
    }

    @Override
    public void close() throws InterruptedException {
        if (process.isAlive()) {
            kill();
        }
    }

    private void awaitHealthy(Duration timeout) throws Exception {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (System.nanoTime() < deadline) {
            if (!process.isAlive()) {
                throw new IllegalStateException("the service exited with " + process.exitValue());
            }
            try {
                HttpResponse<String> health = HTTP.send(HttpRequest.newBuilder(URI.create(url("/actuator/health")))
                        .timeout(Duration.ofSeconds(2)).build(), HttpResponse.BodyHandlers.ofString());
                if (health.statusCode() == 200) {
                    return;
                }
            } catch (IOException notYet) {
                // still starting
            }
            Thread.sleep(200); // polling with a deadline
        }
        throw new IllegalStateException("the service did not become healthy in " + timeout);
    }

    private static int freePort() throws IOException {
        try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            return socket.getLocalPort();
        }
    }
}

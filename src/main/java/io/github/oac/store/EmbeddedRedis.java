package io.github.oac.store;

import java.io.BufferedReader;
import java.io.File;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.OptionalLong;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.regex.Pattern;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import redis.embedded.Redis;
import redis.embedded.RedisServer;

/**
 * A real redis-server (the binary ships inside the embedded-redis jar), started when no REDIS_URL is configured so
 * the service runs on a fresh machine. {@link #start(Path, int)} keeps its data in a directory (append-only file,
 * fsync every second) and reuses it, and its port, on the next start; {@link #start()} keeps nothing (tests).
 *
 * <p>A JVM killed with SIGKILL leaves its redis-server running. The pidfile in the data directory names it, so the
 * next start stops it (SIGTERM makes redis flush the append-only file) and then loads the same data.
 *
 * <p>embedded-redis writes the config and extracts the binary; the process is run here rather than by its
 * RedisServer, whose JVM shutdown hook would stop Redis at SIGTERM while Camel still finishes in-flight turns.
 * The server is stopped by {@link #close()}, which Spring calls after Camel has stopped.
 */
public final class EmbeddedRedis implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(EmbeddedRedis.class);

    /** Written by redis-server itself, removed by it on a clean shutdown. */
    static final String PIDFILE = "redis.pid";
    /** The port last used, so an operator's redis-cli finds the server where it was. */
    static final String PORTFILE = "redis.port";
    /** The JVM that started the server: a server whose parent is still that JVM is not stale but in use. */
    static final String OWNERFILE = "redis.owner";
    /**
     * The server's password (requirepass), made at the first start and readable by this user only, like the data:
     * another local user can reach a loopback port, and the server holds the access token and every question.
     */
    public static final String SECRETFILE = "redis.secret";

    private static final long STOP_WAIT_SECONDS = 10;

    private final List<String> command;
    private final int port;
    private final Path dataDir;
    private final String password;
    private Process process;

    private EmbeddedRedis(List<String> command, int port, Path dataDir, String password) {
        this.command = command;
        this.port = port;
        this.dataDir = dataDir;
        this.password = password;
    }

    /** A server that keeps nothing, on a free port: for tests that share one server between processes. */
    public static EmbeddedRedis start() {
        try {
            int port = freePort();
            EmbeddedRedis server = new EmbeddedRedis(RedisServer.newRedisServer()
                    .port(port)
                    .bind("127.0.0.1")
                    .setting("save \"\"")
                    .setting("appendonly no")
                    .setting("protected-mode yes")
                    .buildCommandArgs(), port, null, null);
            server.launch();
            // no Spring context closes this one: don't let it outlive the JVM
            Runtime.getRuntime().addShutdownHook(new Thread(server::stopQuietly, "embedded-redis-stop"));
            LOG.info("Started an embedded Redis server on 127.0.0.1:{} (data is not kept)", port);
            return server;
        } catch (IOException e) {
            throw new UncheckedIOException("Could not start the embedded Redis server", e);
        }
    }

    /**
     * A server that keeps its data in {@code dataDir}, after stopping a stale server a killed JVM left there.
     *
     * @param port a fixed port, or 0: the port remembered in the data dir if it is free, else a free one
     */
    public static EmbeddedRedis start(Path dataDir, int port) {
        Path dir = dataDir.toAbsolutePath().normalize();
        try {
            createPrivately(dir);
            OptionalInt remembered = readNumber(dir.resolve(PORTFILE)).stream().mapToInt(n -> (int) n).findFirst();
            OptionalLong stopped = stopStaleServer(dir, remembered);
            int chosen = port > 0 ? port
                    : remembered.isPresent() && isFree(remembered.getAsInt()) ? remembered.getAsInt() : freePort();
            String password = password(dir.resolve(SECRETFILE));
            // embedded-redis writes these lines to a redis.conf and appends "bind"
            EmbeddedRedis server = new EmbeddedRedis(RedisServer.newRedisServer()
                    .port(chosen)
                    .bind("127.0.0.1")
                    .setting("dir " + quoted(dir))
                    .setting("pidfile " + quoted(dir.resolve(PIDFILE)))
                    .setting("appendonly yes")
                    .setting("appendfsync everysec")
                    .setting("save \"\"") // the append-only file is the record; no snapshots on top
                    .setting("protected-mode yes")
                    .setting("requirepass " + password)
                    .buildCommandArgs(), chosen, dir, password);
            server.launch();
            try {
                Files.writeString(dir.resolve(PORTFILE), Integer.toString(chosen));
                Files.writeString(dir.resolve(OWNERFILE), Long.toString(ProcessHandle.current().pid()));
            } catch (IOException e) {
                server.close();
                throw e;
            }
            LOG.info("Embedded Redis (no REDIS_URL) on 127.0.0.1:{} keeps its data in {} (append-only file, fsync "
                    + "every second){}", chosen, dir, stopped.isPresent()
                    ? "; stopped the stale redis-server (pid " + stopped.getAsLong() + ") a killed run left there"
                    : "");
            return server;
        } catch (IOException e) {
            throw new UncheckedIOException("Could not start the embedded Redis server in " + dir, e);
        }
    }

    /** How to reach it, with its password when it has one: never logged. */
    public String url() {
        return "redis://" + (password == null ? "" : ":" + password + "@") + "127.0.0.1:" + port;
    }

    public int port() {
        return port;
    }

    /** Where the data is kept; empty for a server that keeps nothing. */
    public Optional<Path> dataDir() {
        return Optional.ofNullable(dataDir);
    }

    /** Stops the server (SIGTERM: redis flushes its append-only file); {@link #restart()} brings it back. */
    @Override
    public synchronized void close() throws IOException {
        if (process == null) {
            return;
        }
        process.destroy();
        try {
            if (!process.waitFor(STOP_WAIT_SECONDS, TimeUnit.SECONDS)) {
                process.destroyForcibly().waitFor(STOP_WAIT_SECONDS, TimeUnit.SECONDS);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("Interrupted while stopping the embedded Redis server", e);
        }
        process = null;
    }

    /** Starts the stopped server again on the same port and data (outage drills). */
    public void restart() throws IOException {
        launch();
    }

    /**
     * Runs redis-server and waits for its "Ready to accept connections", which it logs once the append-only file is
     * loaded; then keeps reading its output, so a full pipe never blocks it.
     */
    private synchronized void launch() throws IOException {
        if (process != null) {
            return;
        }
        Process started = new ProcessBuilder(command).directory(new File(command.get(0)).getParentFile())
                .redirectErrorStream(true).start();
        BufferedReader output = new BufferedReader(new InputStreamReader(started.getInputStream(),
                StandardCharsets.UTF_8));
        StringBuilder startup = new StringBuilder();
        String line;
        while ((line = output.readLine()) != null) {
            startup.append('\n').append(line);
            if (Redis.SERVER_READY_PATTERN.matcher(line).matches()) {
                Thread drain = new Thread(() -> relay(output), "embedded-redis-log");
                drain.setDaemon(true);
                drain.start();
                process = started;
                return;
            }
        }
        started.destroyForcibly();
        throw new IOException("redis-server did not start:" + startup);
    }

    /** Redis marks warnings and notable events with " # " ("pid:M 01 Jan 2025 12:00:00.000 # ..."). */
    private static void relay(BufferedReader output) {
        try (output) {
            String line;
            while ((line = output.readLine()) != null) {
                if (line.contains(" # ")) {
                    LOG.info("redis-server: {}", line);
                } else {
                    LOG.debug("redis-server: {}", line);
                }
            }
        } catch (IOException closed) {
            // the server exited
        }
    }

    private void stopQuietly() {
        try {
            close();
        } catch (IOException e) {
            LOG.warn("Could not stop the embedded Redis server: {}", e.getMessage());
        }
    }

    /**
     * Stops the redis-server the pidfile names, if it is one serving this data dir and no live JVM of ours owns it.
     * Returns its pid when it was stopped.
     */
    private static OptionalLong stopStaleServer(Path dir, OptionalInt port) throws IOException {
        OptionalLong pid = readNumber(dir.resolve(PIDFILE));
        Optional<ProcessHandle> found = pid.isPresent() ? ProcessHandle.of(pid.getAsLong()) : Optional.empty();
        if (found.isEmpty() || !isRedisServer(found.get())) {
            return OptionalLong.empty(); // no pidfile, or one outliving its server (pid gone or reused): overwritten
        }
        if (!servesDir(found.get(), port, dir)) {
            // a redis-server, but not provably this dir's (no remembered port, no /proc, another cwd): never kill it,
            // and never start a second server on the same append-only file either
            throw new IllegalStateException("The pidfile in " + dir + " names a running redis-server (pid "
                    + found.get().pid() + ") that cannot be confirmed as this data dir's; stop it or delete "
                    + dir.resolve(PIDFILE));
        }
        ProcessHandle stale = found.get();
        OptionalLong owner = readNumber(dir.resolve(OWNERFILE));
        if (owner.isPresent() && stale.parent().map(ProcessHandle::pid).orElse(-1L) == owner.getAsLong()) {
            // its parent is still the JVM that started it: a running service uses this data dir
            throw new IllegalStateException("The data dir " + dir + " is in use by the running service with pid "
                    + owner.getAsLong() + "; give each instance its own CHAT_DATA_DIR");
        }
        stale.destroy();
        try {
            stale.onExit().get(STOP_WAIT_SECONDS, TimeUnit.SECONDS);
        } catch (TimeoutException e) {
            stale.destroyForcibly();
            try {
                stale.onExit().get(STOP_WAIT_SECONDS, TimeUnit.SECONDS);
            } catch (Exception stillThere) {
                throw new IOException("The stale redis-server (pid " + stale.pid() + ") in " + dir + " did not stop");
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("Interrupted while stopping the stale redis-server in " + dir, e);
        } catch (Exception e) {
            throw new IOException("Could not stop the stale redis-server in " + dir, e);
        }
        return OptionalLong.of(stale.pid());
    }

    /** A live redis-server, by its executable. */
    static boolean isRedisServer(ProcessHandle process) {
        return process.isAlive() && process.info().command()
                .map(command -> Path.of(command).getFileName().toString().startsWith("redis-server"))
                .orElse(false);
    }

    /**
     * Whether that redis-server is the one this data dir started: it listens on the remembered port (its process
     * title, "… 127.0.0.1:port") and works in the dir (redis changes into its "dir"). Both must be provable, so a
     * system redis-server that took a recycled pid, or a pidfile copied without its portfile, never gets killed.
     */
    static boolean servesDir(ProcessHandle process, OptionalInt port, Path dir) {
        Path proc = Path.of("/proc", Long.toString(process.pid()));
        if (port.isEmpty() || !Files.isReadable(proc.resolve("cmdline"))) {
            return false;
        }
        try {
            String commandLine = Files.readString(proc.resolve("cmdline"), StandardCharsets.ISO_8859_1);
            return Pattern.compile(":" + port.getAsInt() + "(?!\\d)").matcher(commandLine).find()
                    && Files.readSymbolicLink(proc.resolve("cwd")).equals(dir.toRealPath());
        } catch (IOException | UnsupportedOperationException goneOrUnreadable) {
            return false;
        }
    }

    /** The password in the file, or a new random one written there first, readable by this user only. */
    private static String password(Path file) throws IOException {
        if (Files.isRegularFile(file)) {
            String kept = Files.readString(file).strip();
            if (kept.matches("[0-9a-f]{64}")) {
                return kept;
            }
        }
        byte[] random = new byte[32];
        new java.security.SecureRandom().nextBytes(random);
        String made = java.util.HexFormat.of().formatHex(random);
        Files.deleteIfExists(file);
        try {
            Files.createFile(file, java.nio.file.attribute.PosixFilePermissions.asFileAttribute(
                    java.nio.file.attribute.PosixFilePermissions.fromString("rw-------")));
        } catch (UnsupportedOperationException notPosix) {
            Files.createFile(file);
        }
        Files.writeString(file, made);
        return made;
    }

    /** The data dir holds every question, answer and the access token: only this user may read it. */
    private static void createPrivately(Path dir) throws IOException {
        if (Files.isDirectory(dir)) {
            return;
        }
        try {
            Files.createDirectories(dir, java.nio.file.attribute.PosixFilePermissions.asFileAttribute(
                    java.nio.file.attribute.PosixFilePermissions.fromString("rwx------")));
        } catch (UnsupportedOperationException notPosix) {
            Files.createDirectories(dir);
        }
    }

    private static OptionalLong readNumber(Path file) {
        try {
            return OptionalLong.of(Long.parseLong(Files.readString(file).trim()));
        } catch (IOException | NumberFormatException missingOrGarbled) {
            return OptionalLong.empty();
        }
    }

    /** A redis.conf string: paths may hold spaces. */
    private static String quoted(Path path) {
        return '"' + path.toString().replace("\\", "\\\\").replace("\"", "\\\"") + '"';
    }

    private static boolean isFree(int port) {
        try (ServerSocket socket = new ServerSocket(port, 1, InetAddress.getLoopbackAddress())) {
            return true;
        } catch (IOException taken) {
            return false;
        }
    }

    private static int freePort() throws IOException {
        try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            return socket.getLocalPort();
        }
    }
}

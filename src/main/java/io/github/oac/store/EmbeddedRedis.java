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
 * A real redis-server, started when no Redis is configured so the service runs on a fresh machine: the machine's own
 * redis-server when it has one of version 7 or later (Debian's package, say), else the 6.2 binary that ships inside
 * the embedded-redis jar. {@link #start(Path, int)} keeps its data in a directory (append-only file, fsync every
 * second), private to this user, and reuses it, and its port, on the next start; {@link #start()} keeps nothing
 * (tests).
 *
 * <p>One service per data directory: a lock on a file in it is held for as long as the server runs, so two instances
 * started at the same moment on one directory cannot both run on its append-only file.
 *
 * <p>The server stops with the JVM that started it, however that ends: it is started (through util-linux's setpriv,
 * where the machine has it) with a parent-death signal, SIGTERM, which makes redis flush the append-only file and
 * exit when the JVM is gone, even after a SIGKILL. Where that is not available, a killed JVM leaves its redis-server
 * running; the pidfile in the data directory names it, and the next start stops it and then loads the same data.
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

    /** Held by the JVM whose server uses the data dir. */
    static final String LOCKFILE = "redis.lock";

    private static final long STOP_WAIT_SECONDS = 10;

    /**
     * Every server is started from this one thread, which lives as long as the JVM: the parent-death signal is sent
     * when the thread that started a process ends, so it must be one that ends only with the JVM.
     */
    private static final java.util.concurrent.ExecutorService LAUNCHER =
            java.util.concurrent.Executors.newSingleThreadExecutor(task -> {
                Thread thread = new Thread(task, "embedded-redis-launcher");
                thread.setDaemon(true);
                return thread;
            });
    private static final Path SETPRIV = Path.of("/usr/bin/setpriv");
    private static final List<Path> MACHINE_SERVERS = List.of(Path.of("/usr/bin/redis-server"),
            Path.of("/usr/local/bin/redis-server"));
    /** The machine's redis-server of version 7 or later, if any: looked for once. */
    private static volatile Optional<Executable> machineServer;

    /** A redis-server binary and its version. */
    record Executable(Path path, String version) {
    }

    private final List<String> command;
    private final int port;
    private final Path dataDir;
    private final String password;
    private final java.nio.channels.FileLock lock;
    private Process process;

    private EmbeddedRedis(List<String> command, int port, Path dataDir, String password,
                          java.nio.channels.FileLock lock) {
        this.command = command;
        this.port = port;
        this.dataDir = dataDir;
        this.password = password;
        this.lock = lock;
    }

    /** A server that keeps nothing, on a free port: for tests that share one server between processes. */
    public static EmbeddedRedis start() {
        try {
            int port = freePort();
            Optional<Executable> machine = machineServer();
            EmbeddedRedis server = new EmbeddedRedis(builder(machine)
                    .port(port)
                    .bind("127.0.0.1")
                    .setting("save \"\"")
                    .setting("appendonly no")
                    .setting("protected-mode yes")
                    // tests stall it on purpose (DEBUG SLEEP); Redis 7 refuses DEBUG unless allowed
                    .settingIf(machine.isPresent(), "enable-debug-command local")
                    .buildCommandArgs(), port, null, null, null);
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
        return start(dataDir, port, false);
    }

    /**
     * As {@link #start(Path, int)}; debugCommand: allow DEBUG from loopback (Redis 7 refuses it otherwise), for
     * tests that stall the server on purpose (chat.redis.embedded-debug).
     */
    public static EmbeddedRedis start(Path dataDir, int port, boolean debugCommand) {
        Path dir = dataDir.toAbsolutePath().normalize();
        java.nio.channels.FileLock lock = null;
        try {
            createPrivately(dir);
            lock = lock(dir);
            OptionalInt remembered = readNumber(dir.resolve(PORTFILE)).stream().mapToInt(n -> (int) n).findFirst();
            OptionalLong stopped = stopStaleServer(dir, remembered);
            int chosen = port > 0 ? port
                    : remembered.isPresent() && isFree(remembered.getAsInt()) ? remembered.getAsInt() : freePort();
            String password = password(dir.resolve(SECRETFILE));
            Optional<Executable> machine = machineServer();
            // embedded-redis writes these lines to a redis.conf and appends "bind"
            EmbeddedRedis server = new EmbeddedRedis(builder(machine)
                    .port(chosen)
                    .bind("127.0.0.1")
                    .setting("dir " + quoted(dir))
                    .setting("pidfile " + quoted(dir.resolve(PIDFILE)))
                    .setting("appendonly yes")
                    .setting("appendfsync everysec")
                    .setting("save \"\"") // the append-only file is the record; no snapshots on top
                    .setting("protected-mode yes")
                    .setting("requirepass " + password)
                    .settingIf(debugCommand && machine.isPresent(), "enable-debug-command local")
                    .buildCommandArgs(), chosen, dir, password, lock);
            server.launch();
            try {
                Files.writeString(dir.resolve(PORTFILE), Integer.toString(chosen));
                Files.writeString(dir.resolve(OWNERFILE), Long.toString(ProcessHandle.current().pid()));
            } catch (IOException e) {
                server.close();
                throw e;
            }
            LOG.info("Embedded Redis (no REDIS_URL) on 127.0.0.1:{} keeps its data in {} (append-only file, fsync "
                    + "every second); runs {}{}", chosen, dir, describe(machine), stopped.isPresent()
                    ? "; stopped the stale redis-server (pid " + stopped.getAsLong() + ") a killed run left there"
                    : "");
            return server;
        } catch (IOException | RuntimeException e) {
            release(lock);
            if (e instanceof RuntimeException runtime) {
                throw runtime;
            }
            throw new UncheckedIOException("Could not start the embedded Redis server in " + dir, (IOException) e);
        }
    }

    /**
     * The lock that makes this JVM the data dir's only user, for as long as its server runs. Another JVM holding it:
     * refused, naming it; this JVM already holding it (a second context on the same dir): refused too.
     */
    private static java.nio.channels.FileLock lock(Path dir) throws IOException {
        java.nio.channels.FileChannel channel = java.nio.channels.FileChannel.open(dir.resolve(LOCKFILE),
                java.nio.file.StandardOpenOption.CREATE, java.nio.file.StandardOpenOption.WRITE);
        java.nio.channels.FileLock lock;
        try {
            lock = channel.tryLock();
        } catch (java.nio.channels.OverlappingFileLockException heldHere) {
            lock = null;
        }
        if (lock == null) {
            channel.close();
            OptionalLong owner = readNumber(dir.resolve(OWNERFILE));
            throw new IllegalStateException("The data dir " + dir + " is in use by the running service"
                    + (owner.isPresent() ? " with pid " + owner.getAsLong() : "")
                    + "; give each instance its own CHAT_DATA_DIR");
        }
        return lock;
    }

    private static void release(java.nio.channels.FileLock lock) {
        if (lock != null) {
            try {
                lock.channel().close(); // releases the lock
            } catch (IOException ignored) {
                // the lock goes with the JVM anyway
            }
        }
    }

    /** The machine's redis-server (Debian's package, say) when it is version 7 or later; looked for once. */
    static Optional<Executable> machineServer() {
        Optional<Executable> found = machineServer;
        if (found == null) {
            found = MACHINE_SERVERS.stream().filter(Files::isExecutable).map(EmbeddedRedis::withVersion)
                    .flatMap(Optional::stream).filter(executable -> major(executable.version()) >= 7).findFirst();
            machineServer = found;
        }
        return found;
    }

    private static Optional<Executable> withVersion(Path binary) {
        try {
            Process version = new ProcessBuilder(binary.toString(), "--version").redirectErrorStream(true).start();
            String output = new String(version.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            if (!version.waitFor(10, TimeUnit.SECONDS)) {
                version.destroyForcibly();
                return Optional.empty();
            }
            java.util.regex.Matcher matcher = Pattern.compile("v=([0-9]+(\\.[0-9]+)*)").matcher(output);
            return matcher.find() ? Optional.of(new Executable(binary, matcher.group(1))) : Optional.empty();
        } catch (IOException e) {
            return Optional.empty();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return Optional.empty();
        }
    }

    private static int major(String version) {
        return Integer.parseInt(version.split("\\.")[0]);
    }

    private static redis.embedded.core.RedisServerBuilder builder(Optional<Executable> machine) {
        redis.embedded.core.RedisServerBuilder builder = RedisServer.newRedisServer();
        machine.ifPresent(executable -> builder.executableProvider(() -> executable.path().toFile()));
        return builder;
    }

    private static String describe(Optional<Executable> machine) {
        return machine.map(executable -> "the machine's " + executable.path() + " " + executable.version())
                .orElse("the bundled redis-server 6.2 (no redis-server 7 or later on the machine)");
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

    /** Stops the server for good (SIGTERM: redis flushes its append-only file) and gives up the data dir. */
    @Override
    public synchronized void close() throws IOException {
        try {
            stop();
        } finally {
            release(lock);
        }
    }

    /** Stops the server, keeping the data dir (outage drills): {@link #restart()} brings it back. */
    public synchronized void stop() throws IOException {
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

    /**
     * What a JVM killed without a parent-death signal leaves: the server running, the data dir no longer locked
     * (tests of the stale-server path).
     */
    synchronized void abandon() {
        process = null;
        release(lock);
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
        List<String> commandLine = new java.util.ArrayList<>();
        if (Files.isExecutable(SETPRIV)) {
            // SIGTERM when the launching thread, which lives as long as the JVM, is gone: redis flushes and exits
            commandLine.addAll(List.of(SETPRIV.toString(), "--pdeathsig", "TERM", "--"));
        }
        commandLine.addAll(command);
        ProcessBuilder builder = new ProcessBuilder(commandLine).directory(new File(command.get(0)).getParentFile())
                .redirectErrorStream(true);
        Process started;
        try {
            started = LAUNCHER.submit(builder::start).get();
        } catch (java.util.concurrent.ExecutionException e) {
            throw e.getCause() instanceof IOException io ? io : new IOException(e.getCause());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("Interrupted while starting redis-server", e);
        }
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

    /**
     * A live redis-server, by its executable: the bundled one, or the machine's (Debian's redis-server is a link to
     * the binary also called redis-check-rdb, which is what the process's executable then reads).
     */
    static boolean isRedisServer(ProcessHandle process) {
        return process.isAlive() && process.info().command().map(Path::of).map(command ->
                command.getFileName().toString().startsWith("redis-server") || machineServer()
                        .map(machine -> sameFile(machine.path(), command)).orElse(false)).orElse(false);
    }

    private static boolean sameFile(Path a, Path b) {
        try {
            return Files.isSameFile(a, b);
        } catch (IOException unreadable) {
            return false;
        }
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
            makePrivate(file, "rw-------");
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

    /**
     * The data dir holds every question, answer and the access token: only this user may read it. One that already
     * exists is made private too (logged when it was not).
     */
    private static void createPrivately(Path dir) throws IOException {
        if (Files.isDirectory(dir)) {
            makePrivate(dir, "rwx------");
            return;
        }
        try {
            Files.createDirectories(dir, java.nio.file.attribute.PosixFilePermissions.asFileAttribute(
                    java.nio.file.attribute.PosixFilePermissions.fromString("rwx------")));
        } catch (UnsupportedOperationException notPosix) {
            Files.createDirectories(dir);
        }
    }

    /** Sets these permissions where they are looser, and says so. */
    private static void makePrivate(Path path, String permissions) throws IOException {
        try {
            java.util.Set<java.nio.file.attribute.PosixFilePermission> now = Files.getPosixFilePermissions(path);
            java.util.Set<java.nio.file.attribute.PosixFilePermission> wanted =
                    java.nio.file.attribute.PosixFilePermissions.fromString(permissions);
            if (!wanted.containsAll(now)) {
                Files.setPosixFilePermissions(path, wanted);
                LOG.warn("{} was readable by others ({}): made private ({})", path,
                        java.nio.file.attribute.PosixFilePermissions.toString(now), permissions);
            }
        } catch (UnsupportedOperationException notPosix) {
            // no such permissions to set here
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

package io.github.oac.store;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import redis.clients.jedis.Jedis;

/** The embedded default keeps its data across restarts and replaces the server a killed JVM left behind. */
class EmbeddedRedisTest {

    @TempDir
    Path dataDir;

    @Test
    void theKeptServerAnswersOnlyWithItsPasswordWhichOnlyThisUserCanRead() throws Exception {
        try (EmbeddedRedis server = EmbeddedRedis.start(dataDir, 0)) {
            try (Jedis anonymous = new Jedis("127.0.0.1", server.port())) {
                assertThatThrownBy(() -> anonymous.get("anything")).hasMessageContaining("NOAUTH");
            }
            set(server, "with", "password");
            assertThat(get(server, "with")).isEqualTo("password");
            assertThat(java.nio.file.Files.getPosixFilePermissions(dataDir.resolve(EmbeddedRedis.SECRETFILE)))
                    .containsExactlyInAnyOrder(java.nio.file.attribute.PosixFilePermission.OWNER_READ,
                            java.nio.file.attribute.PosixFilePermission.OWNER_WRITE);
        }
    }

    @Test
    void aRestartOnTheSameDataDirKeepsWhatWasWrittenAndItsPort() throws Exception {
        int port;
        try (EmbeddedRedis first = EmbeddedRedis.start(dataDir, 0)) {
            port = first.port();
            set(first, "kept", "yes");
        }
        assertThat(dataDir.resolve(EmbeddedRedis.PIDFILE)).as("removed by a clean shutdown").doesNotExist();

        try (EmbeddedRedis second = EmbeddedRedis.start(dataDir, 0)) {
            assertThat(second.port()).isEqualTo(port);
            assertThat(get(second, "kept")).isEqualTo("yes");
        }
    }

    @Test
    void aStaleServerAKilledRunLeftIsStoppedAndItsDataLoaded() throws Exception {
        EmbeddedRedis leftBehind = EmbeddedRedis.start(dataDir, 0);
        set(leftBehind, "accepted", "question");
        ProcessHandle stale = ProcessHandle.of(pidInPidfile()).orElseThrow();
        // as if the JVM that started it had been killed where no parent-death signal stops it: its owner and its
        // lock are gone, its server is not
        leftBehind.abandon();
        Files.writeString(dataDir.resolve(EmbeddedRedis.OWNERFILE), "0");

        try (EmbeddedRedis next = EmbeddedRedis.start(dataDir, 0)) {
            assertThat(stale.isAlive()).isFalse();
            assertThat(pidInPidfile()).isNotEqualTo(stale.pid());
            assertThat(next.port()).as("the remembered port").isEqualTo(leftBehind.port());
            assertThat(get(next, "accepted")).as("flushed on SIGTERM, loaded from the AOF").isEqualTo("question");
        }
    }

    @Test
    void aDataDirInUseByALiveServiceIsRefusedAndItsServerLeftRunning() throws Exception {
        try (EmbeddedRedis running = EmbeddedRedis.start(dataDir, 0)) {
            long pid = pidInPidfile();

            assertThatThrownBy(() -> EmbeddedRedis.start(dataDir, 0))
                    .isInstanceOf(IllegalStateException.class)
                    .hasMessageContaining("in use by the running service");
            assertThat(ProcessHandle.of(pid).map(ProcessHandle::isAlive)).contains(true);
            set(running, "still", "answers");
        }
    }

    @Test
    void aPidfileNamingAnotherProgramStopsNothing() throws Exception {
        Process other = new ProcessBuilder("sleep", "60").start();
        try {
            Files.writeString(dataDir.resolve(EmbeddedRedis.PIDFILE), Long.toString(other.pid()));

            try (EmbeddedRedis server = EmbeddedRedis.start(dataDir, 0)) {
                assertThat(other.isAlive()).isTrue();
                set(server, "started", "anyway");
            }
        } finally {
            other.destroyForcibly();
            other.waitFor(5, TimeUnit.SECONDS);
        }
    }

    @Test
    void aRedisServerThisDirDidNotStartIsNeverKilledEvenIfThePidfileNamesIt(@TempDir Path otherDir) throws Exception {
        try (EmbeddedRedis unrelated = EmbeddedRedis.start(otherDir, 0)) {
            long pid = Long.parseLong(Files.readString(otherDir.resolve(EmbeddedRedis.PIDFILE)).trim());
            // a pidfile copied without its portfile, then one with the port too: neither proves it is this dir's
            Files.writeString(dataDir.resolve(EmbeddedRedis.PIDFILE), Long.toString(pid));
            assertThatThrownBy(() -> EmbeddedRedis.start(dataDir, 0))
                    .isInstanceOf(IllegalStateException.class).hasMessageContaining("cannot be confirmed");
            Files.writeString(dataDir.resolve(EmbeddedRedis.PORTFILE), Integer.toString(unrelated.port()));
            assertThatThrownBy(() -> EmbeddedRedis.start(dataDir, 0))
                    .isInstanceOf(IllegalStateException.class).hasMessageContaining("cannot be confirmed");

            assertThat(ProcessHandle.of(pid).map(ProcessHandle::isAlive)).contains(true);
            set(unrelated, "still", "there");
        }
    }

    @Test
    void anExistingDataDirAndALooseSecretAreMadePrivate() throws Exception {
        Files.createDirectories(dataDir);
        Files.setPosixFilePermissions(dataDir, java.nio.file.attribute.PosixFilePermissions.fromString("rwxr-xr-x"));
        Path secret = dataDir.resolve(EmbeddedRedis.SECRETFILE);
        Files.writeString(secret, "ab".repeat(32));
        Files.setPosixFilePermissions(secret, java.nio.file.attribute.PosixFilePermissions.fromString("rw-r--r--"));

        try (EmbeddedRedis server = EmbeddedRedis.start(dataDir, 0)) {
            assertThat(java.nio.file.attribute.PosixFilePermissions.toString(Files.getPosixFilePermissions(dataDir)))
                    .isEqualTo("rwx------");
            assertThat(java.nio.file.attribute.PosixFilePermissions.toString(Files.getPosixFilePermissions(secret)))
                    .isEqualTo("rw-------");
            assertThat(server.url()).as("the kept password, still").contains("ab".repeat(32));
        }
    }

    @Test
    void twoStartsAtTheSameMomentOnOneDataDirCannotBothRun() throws Exception {
        java.util.concurrent.CyclicBarrier together = new java.util.concurrent.CyclicBarrier(2);
        java.util.concurrent.Callable<EmbeddedRedis> start = () -> {
            together.await();
            return EmbeddedRedis.start(dataDir, 0);
        };
        java.util.concurrent.ExecutorService two = java.util.concurrent.Executors.newFixedThreadPool(2);
        try {
            List<java.util.concurrent.Future<EmbeddedRedis>> starts = two.invokeAll(List.of(start, start));
            List<EmbeddedRedis> running = new java.util.ArrayList<>();
            List<Throwable> refused = new java.util.ArrayList<>();
            for (java.util.concurrent.Future<EmbeddedRedis> attempt : starts) {
                try {
                    running.add(attempt.get());
                } catch (java.util.concurrent.ExecutionException e) {
                    refused.add(e.getCause());
                }
            }
            try {
                assertThat(running).as("exactly one runs").hasSize(1);
                assertThat(refused).hasSize(1).first().isInstanceOf(IllegalStateException.class)
                        .extracting(Throwable::getMessage).asString().contains("in use by the running service");
            } finally {
                for (EmbeddedRedis server : running) {
                    server.close();
                }
            }
        } finally {
            two.shutdownNow();
        }
    }

    @Test
    void theMachinesRedisServerIsPreferredWhenItIsVersion7OrLater() throws Exception {
        try (EmbeddedRedis server = EmbeddedRedis.start(dataDir, 0)) {
            String command = ProcessHandle.of(pidInPidfile()).orElseThrow().info().command().orElse("");
            String version;
            try (redis.clients.jedis.Jedis jedis = new redis.clients.jedis.Jedis(server.url())) {
                version = jedis.info("server").lines().filter(line -> line.startsWith("redis_version:"))
                        .findFirst().orElse("").substring("redis_version:".length());
            }
            if (EmbeddedRedis.machineServer().isPresent()) {
                assertThat(Path.of(command).toRealPath())
                        .isEqualTo(EmbeddedRedis.machineServer().get().path().toRealPath());
                assertThat(Integer.parseInt(version.split("\\.")[0])).isGreaterThanOrEqualTo(7);
            } else {
                assertThat(command).contains("redis-server-6.2");
                assertThat(version).startsWith("6.2");
            }
        }
    }

    @Test
    void aNewDataDirIsReadableByItsOwnerOnly() throws Exception {
        Path fresh = dataDir.resolve("fresh");
        try (EmbeddedRedis server = EmbeddedRedis.start(fresh, 0)) {
            assertThat(java.nio.file.attribute.PosixFilePermissions.toString(Files.getPosixFilePermissions(fresh)))
                    .as("it holds every question, answer and the access token").isEqualTo("rwx------");
        }
    }

    private long pidInPidfile() throws Exception {
        return Long.parseLong(Files.readString(dataDir.resolve(EmbeddedRedis.PIDFILE)).trim());
    }

    private static void set(EmbeddedRedis server, String key, String value) {
        try (Jedis jedis = new Jedis(java.net.URI.create(server.url()))) {
            jedis.set(key, value);
        }
    }

    private static String get(EmbeddedRedis server, String key) {
        try (Jedis jedis = new Jedis(java.net.URI.create(server.url()))) {
            return jedis.get(key);
        }
    }
}

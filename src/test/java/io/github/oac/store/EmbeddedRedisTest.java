package io.github.oac.store;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
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
        // as if the JVM that started it had been killed: its owner is gone
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

package io.github.oac.store;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.springframework.boot.builder.SpringApplicationBuilder;
import org.springframework.context.ConfigurableApplicationContext;
import org.springframework.data.redis.core.StringRedisTemplate;

import io.github.oac.Application;

/**
 * Redis over TLS with an ACL user, as managed Redis offers it: Debian's redis-server on loopback with a certificate
 * for "localhost" from a certificate authority of the test's own (openssl), only TLS, the default user off. The
 * service reaches it from REDIS_URL (rediss://user:password@…) and Spring Boot's SSL bundle for the authority
 * (spring.data.redis.ssl.bundle), and refuses a server whose certificate does not name the host it connected to.
 */
class RedisTlsTest {

    private static final String[] REQUIRED = {"--chat.wechat.token=t", "--chat.wechat.app-id=wxtls",
            "--chat.wechat.app-secret=s", "--chat.openai.api-key=k", "--server.port=0", "--management.server.port=0"};
    private static final String PASSWORD = "tls-acl-secret-never-logged";

    private static Path dir;
    private static Process server;
    private static int port;

    @BeforeAll
    static void startTlsServer() throws Exception {
        Assumptions.assumeTrue(RedisServers.installed() && Files.isExecutable(Path.of("/usr/bin/openssl")),
                "Debian's redis-server and openssl");
        dir = Files.createDirectories(Path.of("target/test-redis/tls-" + System.nanoTime()));
        RedisServers.Security tls = RedisServers.Security.create(dir, "DNS:localhost");
        try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            port = socket.getLocalPort();
        }
        List<String> command = new ArrayList<>(List.of("/usr/bin/redis-server", "--port", "0", "--tls-port",
                Integer.toString(port), "--bind", "127.0.0.1", "--tls-cert-file", tls.certificate().toString(),
                "--tls-key-file", tls.key().toString(), "--tls-ca-cert-file", tls.caCertificate().toString(),
                "--tls-auth-clients", "no", "--save", "", "--appendonly",
                "no", "--user", "default", "off", "--user", "oac", "on", ">" + PASSWORD, "~*", "&*", "+@all"));
        server = new ProcessBuilder(command).directory(dir.toFile()).redirectErrorStream(true)
                .redirectOutput(dir.resolve("redis.log").toFile()).start();
        Awaitility.await().atMost(Duration.ofSeconds(20)).pollInterval(Duration.ofMillis(100))
                .until(() -> Files.readString(dir.resolve("redis.log")).contains("Ready to accept connections"));
    }

    @AfterAll
    static void stopServer() throws InterruptedException {
        if (server != null) {
            server.destroyForcibly();
            server.waitFor(10, TimeUnit.SECONDS);
        }
    }

    @Test
    void aRedissUrlWithAnAclUserReachesTheServerThroughTheBundlesAuthority() {
        try (ConfigurableApplicationContext context = run("localhost", PASSWORD)) {
            StringRedisTemplate redis = context.getBean(StringRedisTemplate.class);
            redis.opsForValue().set("tls-test", "reached");
            assertThat(redis.opsForValue().get("tls-test")).isEqualTo("reached");
            // a script, as every admission and turn runs them
            assertThat(redis.execute(org.springframework.data.redis.core.script.RedisScript.of(
                    "return redis.call('GET', KEYS[1])", String.class), List.of("tls-test"))).isEqualTo("reached");
        }
    }

    @Test
    void aServerWhoseCertificateDoesNotNameTheHostIsRefused() {
        // the certificate names localhost; the same server at 127.0.0.1 could be anyone's
        assertThat(refusal("127.0.0.1", PASSWORD)).contains("127.0.0.1").doesNotContain(PASSWORD)
                .containsAnyOf("subject alternative", "SSLHandshake", "certificate");
    }

    @Test
    void aWrongPasswordIsRefusedWithoutShowingIt() {
        assertThat(refusal("localhost", "not-the-password")).doesNotContain("not-the-password")
                .containsAnyOf("WRONGPASS", "invalid username-password");
    }

    /** What a service with these settings says when it first reads from Redis (or starts), every cause's message. */
    private static String refusal(String host, String password) {
        Throwable refused;
        try (ConfigurableApplicationContext context = run(host, password)) {
            refused = org.assertj.core.api.Assertions.catchThrowable(
                    () -> context.getBean(StringRedisTemplate.class).opsForValue().get("tls-test"));
        } catch (RuntimeException atStart) {
            refused = atStart;
        }
        assertThat(refused).as("refused").isNotNull();
        StringBuilder messages = new StringBuilder();
        for (Throwable cause = refused; cause != null; cause = cause.getCause()) {
            messages.append(cause).append('\n');
        }
        return messages.toString();
    }

    private static ConfigurableApplicationContext run(String host, String password) {
        List<String> arguments = new ArrayList<>(List.of(REQUIRED));
        arguments.add("--chat.redis.url=rediss://oac:" + password + "@" + host + ":" + port + "/0");
        arguments.add("--spring.ssl.bundle.pem.redis.truststore.certificate=file:"
                + dir.resolve("ca.crt").toAbsolutePath());
        arguments.add("--spring.data.redis.ssl.bundle=redis");
        arguments.add("--chat.recovery.interval=3600000"); // nothing of the service's own on this server meanwhile
        return new SpringApplicationBuilder(Application.class).run(arguments.toArray(String[]::new));
    }
}

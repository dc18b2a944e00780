package io.github.oac.ops;

import static com.github.tomakehurst.wiremock.client.WireMock.aResponse;
import static com.github.tomakehurst.wiremock.client.WireMock.any;
import static com.github.tomakehurst.wiremock.client.WireMock.anyUrl;
import static com.github.tomakehurst.wiremock.core.WireMockConfiguration.options;
import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import org.awaitility.Awaitility;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.yaml.snakeyaml.Yaml;

import com.github.tomakehurst.wiremock.WireMockServer;

/**
 * The compose file's HA profile (deploy/docker-compose.yml, --profile ha), checked as far as this machine allows (no
 * Docker engine): its services fit together, and Debian's nginx runs its load balancer's configuration
 * (deploy/nginx/ha.conf, only the instances' names replaced by two stand-ins on loopback) and does what it says.
 */
class HaComposeProfileTest {

    private static final Path NGINX = Path.of("/usr/sbin/nginx");
    private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();

    @SuppressWarnings("unchecked")
    private static Map<String, Map<String, Object>> services() throws IOException {
        Map<String, Object> compose = new Yaml().load(Files.readString(Path.of("deploy/docker-compose.yml")));
        return (Map<String, Map<String, Object>>) compose.get("services");
    }

    @Test
    @SuppressWarnings("unchecked")
    void theHaProfileIsTwoInstancesBehindNginxOnThreeRedisNodesWatchedByThreeSentinels() throws Exception {
        Map<String, Map<String, Object>> services = services();
        List<String> ha = services.entrySet().stream()
                .filter(service -> List.of("ha").equals(service.getValue().get("profiles"))).map(Map.Entry::getKey)
                .sorted().toList();
        assertThat(ha).containsExactly("ha-balancer", "ha-redis-1", "ha-redis-2", "ha-redis-3", "ha-sentinel-1",
                "ha-sentinel-2", "ha-sentinel-3", "ha-service-1", "ha-service-2");
        for (String name : ha) {
            Map<String, Object> service = services.get(name);
            Object dependsOn = service.getOrDefault("depends_on", List.of());
            List<String> needs = dependsOn instanceof Map<?, ?> map ? List.copyOf((java.util.Set<String>) map.keySet())
                    : (List<String>) dependsOn;
            assertThat(needs).as(name + " depends on services of its own profile").allMatch(ha::contains);
            assertThat(name.equals("ha-balancer") || !service.containsKey("ports"))
                    .as(name + ": only the balancer is published").isTrue();
        }
        // the instances find the sentinels the profile runs, by the names the sentinels announce
        for (String instance : List.of("ha-service-1", "ha-service-2")) {
            Map<String, Object> environment = (Map<String, Object>) services.get(instance).get("environment");
            assertThat(environment).containsEntry("SPRING_DATA_REDIS_SENTINEL_MASTER", "oac");
            assertThat(String.valueOf(environment.get("SPRING_DATA_REDIS_SENTINEL_NODES")).split(","))
                    .containsExactly("ha-sentinel-1:26379", "ha-sentinel-2:26379", "ha-sentinel-3:26379");
        }
        for (int i = 1; i <= 3; i++) {
            Map<String, Object> sentinel = services.get("ha-sentinel-" + i);
            assertThat((List<String>) sentinel.get("command")).containsExactly("sh", "/opt/oac/sentinel.sh");
            assertThat((Map<String, Object>) sentinel.get("environment")).containsEntry("ANNOUNCE", "ha-sentinel-" + i)
                    .containsEntry("PRIMARY", "ha-redis-1");
            Map<String, Object> node = services.get("ha-redis-" + i);
            assertThat((Map<String, Object>) node.get("environment")).containsEntry("ANNOUNCE", "ha-redis-" + i);
        }
        // nginx sends to exactly the two instances; Prometheus scrapes them
        assertThat(upstreams(Files.readString(Path.of("deploy/nginx/ha.conf"))))
                .containsExactly("ha-service-1:8080", "ha-service-2:8080");
        assertThat(Files.readString(Path.of("deploy/prometheus/prometheus.yml")))
                .contains("\"ha-service-1\", \"ha-service-2\"");
        assertThat(String.valueOf(services.get("ha-balancer").get("volumes"))).contains("./nginx/ha.conf");
    }

    @Test
    void theRedisNodeAndSentinelScriptsParse() throws Exception {
        for (String script : List.of("deploy/redis/node.sh", "deploy/redis/sentinel.sh")) {
            Process check = new ProcessBuilder("sh", "-n", script).redirectErrorStream(true).start();
            assertThat(check.waitFor(10, TimeUnit.SECONDS)).isTrue();
            assertThat(check.exitValue()).as(script + ": " + new String(check.getInputStream().readAllBytes()))
                    .isZero();
        }
    }

    @Test
    void nginxSendsCallbacksToAnInstanceThatTakesThemAndNothingElse(@TempDir Path dir) throws Exception {
        Assumptions.assumeTrue(Files.isExecutable(NGINX), "Debian's nginx (.ci/run installs nginx-light)");
        WireMockServer first = new WireMockServer(options().dynamicPort().bindAddress("127.0.0.1"));
        WireMockServer second = new WireMockServer(options().dynamicPort().bindAddress("127.0.0.1"));
        first.start();
        second.start();
        first.stubFor(any(anyUrl()).willReturn(aResponse().withStatus(200).withBody("success")));
        second.stubFor(any(anyUrl()).willReturn(aResponse().withStatus(200).withBody("success")));
        int port = freePort();
        String config = Files.readString(Path.of("deploy/nginx/ha.conf"))
                .replace("ha-service-1:8080", "127.0.0.1:" + first.port())
                .replace("ha-service-2:8080", "127.0.0.1:" + second.port())
                .replace("listen 8080;", "listen 127.0.0.1:" + port + ";");
        Files.writeString(dir.resolve("ha.conf"), config);
        Files.writeString(dir.resolve("nginx.conf"), String.join("\n",
                "daemon off;", "master_process off;", "pid " + dir.resolve("nginx.pid") + ";", "error_log " + dir.resolve("error.log") + ";",
                "events {}", "http {", "  access_log off;", "  client_body_temp_path " + dir + "/body;",
                "  proxy_temp_path " + dir + "/proxy;", "  fastcgi_temp_path " + dir + "/fastcgi;",
                "  uwsgi_temp_path " + dir + "/uwsgi;", "  scgi_temp_path " + dir + "/scgi;",
                "  include " + dir.resolve("ha.conf") + ";", "}", ""));
        Process test = new ProcessBuilder(NGINX.toString(), "-t", "-p", dir.toString(), "-e", dir + "/error.log", "-c",
                dir.resolve("nginx.conf").toString()).redirectErrorStream(true).start();
        assertThat(test.waitFor(10, TimeUnit.SECONDS)).isTrue();
        assertThat(test.exitValue()).as(new String(test.getInputStream().readAllBytes())).isZero();

        Process nginx = new ProcessBuilder(NGINX.toString(), "-p", dir.toString(), "-e", dir + "/error.log", "-c",
                dir.resolve("nginx.conf").toString()).redirectErrorStream(true)
                .redirectOutput(dir.resolve("nginx.out").toFile()).start();
        try {
            Awaitility.await().atMost(Duration.ofSeconds(10)).pollInterval(Duration.ofMillis(100)).ignoreExceptions()
                    .until(() -> get(port, "/actuator/health").statusCode() == 200);
            for (int i = 0; i < 4; i++) {
                assertThat(post(port, "/wechat?signature=s", "<xml/>").body()).isEqualTo("success");
            }
            assertThat(first.getAllServeEvents()).as("round robin").isNotEmpty();
            assertThat(second.getAllServeEvents()).as("round robin").isNotEmpty();

            first.stop(); // an instance down (or restarting): every callback still reaches the other
            int before = second.getAllServeEvents().size();
            for (int i = 0; i < 4; i++) {
                HttpResponse<String> answered = post(port, "/wechat?signature=s", "<xml/>");
                assertThat(answered.statusCode()).isEqualTo(200);
                assertThat(answered.body()).isEqualTo("success");
            }
            assertThat(post(port, "/wechat/shop?signature=s", "<xml/>").body()).as("another account's path")
                    .isEqualTo("success");
            assertThat(second.getAllServeEvents().size() - before).isEqualTo(5);

            assertThat(post(port, "/wechat/shop/more", "<xml/>").statusCode()).as("no account's path")
                    .isEqualTo(404);
            assertThat(get(port, "/console").statusCode()).as("the console is not behind the balancer")
                    .isEqualTo(404);
            assertThat(get(port, "/admin/dead-letters").statusCode()).isEqualTo(404);
            assertThat(post(port, "/wechat", "x".repeat(70_000)).statusCode()).as("larger than a callback")
                    .isEqualTo(413);
            assertThat(second.getAllServeEvents().size() - before).as("refused ones never reach an instance")
                    .isEqualTo(5);
        } finally {
            nginx.destroy();
            nginx.waitFor(10, TimeUnit.SECONDS);
            second.stop();
        }
    }

    private static List<String> upstreams(String config) {
        List<String> servers = new ArrayList<>();
        Matcher server = Pattern.compile("(?m)^\\s*server\\s+([^\\s;{]+)").matcher(config);
        while (server.find()) {
            servers.add(server.group(1));
        }
        return servers;
    }

    private static HttpResponse<String> get(int port, String path) throws Exception {
        return HTTP.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path))
                .timeout(Duration.ofSeconds(10)).build(), HttpResponse.BodyHandlers.ofString());
    }

    private static HttpResponse<String> post(int port, String path, String body) throws Exception {
        return HTTP.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path))
                .timeout(Duration.ofSeconds(10)).POST(HttpRequest.BodyPublishers.ofString(body)).build(),
                HttpResponse.BodyHandlers.ofString());
    }

    private static int freePort() throws IOException {
        try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            return socket.getLocalPort();
        }
    }
}

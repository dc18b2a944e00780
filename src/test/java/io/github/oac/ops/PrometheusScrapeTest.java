package io.github.oac.ops;

import static com.github.tomakehurst.wiremock.client.WireMock.equalTo;
import static com.github.tomakehurst.wiremock.client.WireMock.matchingJsonPath;
import static com.github.tomakehurst.wiremock.client.WireMock.okJson;
import static com.github.tomakehurst.wiremock.client.WireMock.post;
import static com.github.tomakehurst.wiremock.client.WireMock.urlPathEqualTo;
import static com.github.tomakehurst.wiremock.stubbing.Scenario.STARTED;
import static org.assertj.core.api.Assertions.assertThat;

import java.io.File;
import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.springframework.beans.factory.annotation.Autowired;

import com.fasterxml.jackson.databind.JsonNode;

import io.github.oac.RouteTestSupport;
import io.micrometer.core.instrument.MeterRegistry;

/**
 * The operators' numbers as a real Prometheus sees them: Debian's prometheus, started with the scrape config the
 * project ships (deploy/prometheus/prometheus.yml; only the targets and the interval replaced), scrapes the
 * management port; after traffic its HTTP API has the callback and delivery counters at the expected values, and
 * every query of the shipped Grafana dashboard names metrics the service exports and is valid PromQL.
 */
class PrometheusScrapeTest extends RouteTestSupport {

    private static final Path PROMETHEUS = Path.of("/usr/bin/prometheus");
    private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();
    private static final Pattern METRIC = Pattern.compile("\\b((?:oac|camel)_[a-z_]+)");

    @TempDir
    static Path workDir;
    private static Process prometheus;
    private static int prometheusPort;

    @Autowired
    MeterRegistry metrics;

    @BeforeAll
    static void requirePrometheus() {
        Assumptions.assumeTrue(Files.isExecutable(PROMETHEUS),
                "Debian's prometheus is not installed (.ci/run installs it: apt-get install -y prometheus)");
    }

    @AfterAll
    static void stopPrometheus() throws InterruptedException {
        if (prometheus != null) {
            prometheus.destroy();
            prometheus.waitFor();
        }
    }

    @Test
    void aRealPrometheusScrapesTheCallbackAndDeliveryCountsFromTheManagementPort() throws Exception {
        startPrometheus();
        String accepted = "sum(oac_callbacks_total{outcome=\"accepted\"})";
        String pushed = "sum(oac_deliveries_total{path=\"push\"})";
        // a first scrape shows what earlier tests counted: the test judges only what it adds
        double acceptedBefore = metrics.counter("oac.callbacks", "outcome", "accepted", "account", "default").count();
        double pushedBefore = metrics.counter("oac.deliveries", "path", "push", "account", "default").count();
        awaitPrometheus(accepted, acceptedBefore);
        awaitPrometheus(pushed, pushedBefore);

        stubModelAnswer("counted");
        List<String> openids = new ArrayList<>();
        for (int i = 0; i < 7; i++) {
            String openid = newOpenid();
            openids.add(openid);
            assertThat(postCallback(textMessage(openid, newMsgId(), "count me " + i)).getBody()).isEqualTo("success");
        }
        awaitQuiet(Duration.ofSeconds(30));
        openids.forEach(openid -> assertThat(textsSentTo(openid)).containsExactly("counted"));

        awaitPrometheus(accepted, acceptedBefore + 7);
        awaitPrometheus(pushed, pushedBefore + 7);
        assertThat(query("count(oac_callback_duration_seconds_bucket)")).as("callback latency histogram").isPositive();
        assertThat(query("count(oac_answer_duration_seconds_bucket{path=\"push\"})")).isPositive();
    }

    @Test
    void everyDashboardQueryNamesMetricsTheServiceExportsAndIsValidPromQl() throws Exception {
        startPrometheus();
        produceEveryKindOfMeter();
        String exported = http.getRestTemplate().getForObject(management("/actuator/prometheus"), String.class);
        JsonNode dashboard = json.readTree(new File("deploy/grafana/dashboards/officialaccount-chatgpt.json"));

        Set<String> missing = new TreeSet<>();
        List<String> queries = new ArrayList<>();
        dashboard.path("panels").forEach(panel -> panel.path("targets").forEach(target -> {
            // as Grafana sends it with every account selected
            String expr = target.path("expr").asText().replace("$account", ".*");
            queries.add(expr);
            Matcher names = METRIC.matcher(expr);
            while (names.find()) {
                if (!exported.contains("\n" + names.group(1) + "{") && !exported.contains("\n" + names.group(1) + " ")) {
                    missing.add(names.group(1));
                }
            }
        }));
        assertThat(queries).hasSizeGreaterThan(15);
        assertThat(dashboard.path("templating").path("list").get(0).path("query").asText())
                .as("the account selector").isEqualTo("label_values(oac_callbacks_total, account)");
        assertThat(queries).as("the callbacks' panels follow the selector")
                .anyMatch(expr -> expr.contains("oac_callbacks_total{account=~\".*\"}"));
        assertThat(missing).as("metrics the dashboard queries but the service does not export").isEmpty();
        for (String expr : queries) {
            JsonNode answer = json.readTree(get("/api/v1/query?query=" + URLEncoder.encode(expr, StandardCharsets.UTF_8)));
            assertThat(answer.path("status").asText()).as(expr).isEqualTo("success");
        }
    }

    // ---- helpers ----

    /** A model retry, a token count, a push, a dead letter: the meters that exist only once they happened. */
    private void produceEveryKindOfMeter() {
        stubs.stubFor(post(urlPathEqualTo(COMPLETIONS)).inScenario("retry").whenScenarioStateIs(STARTED)
                .willReturn(status(503)).willSetStateTo("up"));
        stubs.stubFor(post(urlPathEqualTo(COMPLETIONS)).inScenario("retry").whenScenarioStateIs("up")
                .willReturn(okJson("{\"choices\":[{\"message\":{\"role\":\"assistant\",\"content\":\"metered\"}}],"
                        + "\"usage\":{\"prompt_tokens\":12,\"completion_tokens\":3}}")));
        String refused = newOpenid();
        stubs.stubFor(post(urlPathEqualTo(SEND)).withRequestBody(matchingJsonPath("$.touser", equalTo(refused)))
                .willReturn(okJson("{\"errcode\":40003,\"errmsg\":\"invalid openid\"}")));
        double tokensBefore = metrics.find("oac.model.tokens").tags("kind", "prompt", "account", "default").counters().stream()
                .mapToDouble(io.micrometer.core.instrument.Counter::count).sum();
        postCallback(textMessage(newOpenid(), newMsgId(), "retried once"));
        awaitQuiet(Duration.ofSeconds(30));
        postCallback(textMessage(refused, newMsgId(), "refused by WeChat"));
        awaitQuiet(Duration.ofSeconds(30));
        assertThat(metrics.find("oac.model.tokens").tags("kind", "prompt", "account", "default").counters().stream()
                .mapToDouble(io.micrometer.core.instrument.Counter::count).sum() - tokensBefore).isEqualTo(24);
    }

    private void startPrometheus() throws Exception {
        if (prometheus != null) {
            return;
        }
        prometheusPort = freePort();
        String shipped = Files.readString(Path.of("deploy/prometheus/prometheus.yml"));
        String targets = """
                    dns_sd_configs:
                      - names: ["service", "ha-service-1", "ha-service-2"]
                        type: A
                        port: 8081
                        refresh_interval: 30s
                """;
        assertThat(shipped).contains(targets);
        String config = shipped
                .replace(targets, "    static_configs:\n      - targets: [\"127.0.0.1:" + managementPort + "\"]\n")
                .replace("scrape_interval: 5s", "scrape_interval: 1s");
        Path file = workDir.resolve("prometheus.yml");
        Files.writeString(file, config);
        prometheus = new ProcessBuilder(PROMETHEUS.toString(), "--config.file=" + file,
                "--storage.tsdb.path=" + workDir.resolve("data"), "--web.listen-address=127.0.0.1:" + prometheusPort)
                .redirectErrorStream(true).redirectOutput(workDir.resolve("prometheus.log").toFile()).start();
        Awaitility.await().atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(200)).ignoreExceptions()
                .until(() -> get("/-/ready").contains("Ready"));
    }

    private void awaitPrometheus(String expr, double expected) {
        Awaitility.await().atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(250)).ignoreExceptions()
                .untilAsserted(() -> assertThat(query(expr)).as(expr).isEqualTo(expected));
    }

    /** The value of an instant query with one series, or NaN when it has none. */
    private double query(String expr) throws Exception {
        JsonNode result = json.readTree(get("/api/v1/query?query=" + URLEncoder.encode(expr, StandardCharsets.UTF_8)))
                .path("data").path("result");
        return result.isEmpty() ? Double.NaN : result.path(0).path("value").path(1).asDouble();
    }

    private static String get(String pathAndQuery) throws IOException, InterruptedException {
        return HTTP.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + prometheusPort + pathAndQuery))
                .timeout(Duration.ofSeconds(5)).build(), HttpResponse.BodyHandlers.ofString()).body();
    }

    private static int freePort() throws IOException {
        try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            return socket.getLocalPort();
        }
    }
}

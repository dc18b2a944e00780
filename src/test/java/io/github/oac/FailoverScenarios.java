package io.github.oac;

import static com.github.tomakehurst.wiremock.client.WireMock.equalTo;
import static com.github.tomakehurst.wiremock.client.WireMock.matchingJsonPath;
import static com.github.tomakehurst.wiremock.client.WireMock.okJson;
import static com.github.tomakehurst.wiremock.client.WireMock.post;
import static com.github.tomakehurst.wiremock.client.WireMock.urlPathEqualTo;
import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

import org.awaitility.Awaitility;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.springframework.test.annotation.DirtiesContext;
import org.springframework.test.context.TestPropertySource;

import io.github.oac.store.RedisServers;

/**
 * The same failovers on each replicated topology (SentinelFailoverTest, ClusterFailoverTest: Debian's redis-server and
 * redis-sentinel on loopback, connected from Spring Boot's own spring.data.redis.* settings): a primary killed
 * (kill -9) while answers are in flight, and an admission no replica confirms. Every question acknowledged is
 * answered exactly once.
 */
@DirtiesContext(classMode = DirtiesContext.ClassMode.AFTER_CLASS) // the context goes before its Redis processes do
// a lease that outlasts a failover here (a replica promoted about 2 s after its primary stops answering, plus a
// call's 2 s timeout on the stopped primary): a turn's writes then wait for the new primary, not for the lease to lapse
@TestPropertySource(properties = {"chat.queue.lease-ttl=10s", "chat.rate-limit.per-minute=0"})
abstract class FailoverScenarios extends RouteTestSupport {

    /** Kills (kill -9) a primary holding some of these followers' keys. */
    abstract void killAPrimaryOf(List<String> followers) throws Exception;

    /**
     * Stops (SIGSTOP) a primary holding some of these followers' keys until a replica took its place, then lets it go
     * on: back, it finds itself a replica of its successor, as a primary cut off by the network does.
     */
    abstract void cutOffAPrimaryOf(List<String> followers) throws Exception;

    /** After the kill: a replica now serves what the killed primary did. */
    abstract void assertPromoted(List<String> followers) throws Exception;

    /** SIGSTOP (true) or SIGCONT (false) to the replicas of the current primaries. */
    abstract void pauseReplicas(boolean paused) throws Exception;

    /** Debian's packages, or the test is skipped (.ci/run installs them). */
    static void assumeInstalled() {
        Assumptions.assumeTrue(RedisServers.installed(), "Debian's redis-server and redis-sentinel (.ci/run installs them)");
    }

    static Path directory(String name) throws java.io.IOException {
        return Files.createDirectories(Path.of("target/test-redis/" + name + "-" + System.nanoTime()));
    }

    @Test
    void losingThePrimaryWhileAnsweringLosesNoAcknowledgedQuestionAndDoublesNone() throws Exception {
        // before: answered through the primary the sentinels name
        List<String> followers = followers(6);
        askEach(followers, "before", 0);
        await(() -> followers.stream().allMatch(openid -> sendsTo(openid).size() == 1), Boolean.TRUE::equals);

        // in flight: questions the model takes 2 s for, acknowledged (so replicated: chat.redis.replica-acks is 1
        // behind Sentinel), their turns waiting on the model; the turns' later writes may not have reached a replica
        askEach(followers, "during", 2_000);
        killAPrimaryOf(followers);

        // after: WeChat re-delivers what got no "success" (503 while no primary answers) until it does
        askEach(followers, "after", 0);
        assertPromoted(followers);

        assertEachAnsweredOnceInOrder(followers, "before", "during", "after");
    }

    @Test
    void aPrimaryCutOffUntilReplacedIsLeftForItsSuccessorAndEveryQuestionIsAnsweredOnce() throws Exception {
        // the clients' connections to the old primary stay open through its pause: they must not write there again
        // once it is a replica (READONLY), nor wait for it, but follow the topology to the new primary
        List<String> followers = followers(4);
        askEach(followers, "first", 0);
        await(() -> followers.stream().allMatch(openid -> sendsTo(openid).size() == 1), Boolean.TRUE::equals);

        cutOffAPrimaryOf(followers);

        askEach(followers, "second", 0);
        assertEachAnsweredOnceInOrder(followers, "first", "second");
    }

    private List<String> followers(int count) {
        List<String> followers = new ArrayList<>();
        for (int i = 0; i < count; i++) {
            followers.add(newOpenid());
        }
        return followers;
    }

    /**
     * Each follower asks "word openid" (the model answers "answer word openid" after modelDelayMillis), delivered as
     * WeChat does: again while the answer is a 503 (no replica confirmed it, or no primary), until acknowledged.
     */
    private void askEach(List<String> followers, String word, int modelDelayMillis) {
        for (String openid : followers) {
            stubAnswer(word + " " + openid, "answer " + word + " " + openid, modelDelayMillis);
            String xml = textMessage(openid, newMsgId(), word + " " + openid);
            Awaitility.await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(200))
                    .until(() -> "success".equals(postCallback(xml).getBody()));
        }
    }

    private void assertEachAnsweredOnceInOrder(List<String> followers, String... words) {
        Awaitility.await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(100))
                .until(() -> followers.stream().allMatch(openid -> sendsTo(openid).size() >= words.length));
        awaitQuiet(Duration.ofSeconds(60));
        for (String openid : followers) {
            assertThat(textsSentTo(openid)).as(openid + ": each answered once, in order").containsExactly(
                    java.util.Arrays.stream(words).map(word -> "answer " + word + " " + openid).toArray(String[]::new));
        }
    }

    @Test
    void aTurnSendsNothingWhileNoReplicaHoldsItsDecisionAndGoesOnOnceOneDoes() throws Exception {
        // a primary whose replicas confirm nothing is what a primary already replaced looks like from here: what it
        // records may be gone after the failover, so a send that went on from it could be sent again
        String openid = newOpenid();
        stubAnswer("held?", "held.", 500);
        assertThat(postCallback(textMessage(openid, newMsgId(), "held?")).getBody()).isEqualTo("success");
        pauseReplicas(true);
        try {
            Thread.sleep(2_500); // the answer came after 0.5 s; its commit waits for a replica up to the lease
            assertThat(sendsTo(openid)).as("sent from a decision no replica holds").isEmpty();
        } finally {
            pauseReplicas(false);
        }
        await(() -> sendsTo(openid), list -> !list.isEmpty());
        awaitQuiet(Duration.ofSeconds(30));
        assertThat(textsSentTo(openid)).containsExactly("held.");
    }

    @Test
    void aCallbackWhoseAdmissionNoReplicaConfirmsAnswers503AndItsRedeliveryIsAnsweredOnce() throws Exception {
        String openid = newOpenid();
        stubAnswer("replicated?", "replicated.", 0);
        String xml = textMessage(openid, newMsgId(), "replicated?");

        pauseReplicas(true);
        try {
            long start = System.nanoTime();
            var refused = postCallback(xml);
            assertThat(refused.getStatusCode().value()).as("written, but not on a replica").isEqualTo(503);
            assertThat((System.nanoTime() - start) / 1_000_000).as("chat.redis.replica-ack-timeout, 1 s")
                    .isBetween(900L, 4_000L);
        } finally {
            pauseReplicas(false);
        }
        // WeChat delivers it again: the message was admitted before, so this is its duplicate, answered once
        Awaitility.await().atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(200))
                .until(() -> "success".equals(postCallback(xml).getBody()));
        await(() -> sendsTo(openid), list -> !list.isEmpty());
        awaitQuiet(Duration.ofSeconds(30));
        assertThat(textsSentTo(openid)).containsExactly("replicated.");
    }
}

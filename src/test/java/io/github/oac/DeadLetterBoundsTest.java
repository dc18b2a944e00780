package io.github.oac;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.IntStream;

import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.http.HttpEntity;
import org.springframework.http.HttpHeaders;
import org.springframework.http.HttpMethod;
import org.springframework.http.ResponseEntity;

import com.fasterxml.jackson.databind.JsonNode;

import io.micrometer.core.instrument.MeterRegistry;

/** Dead letters are kept for chat.dead-letters.retention (7 days) and listed a page at a time. */
class DeadLetterBoundsTest extends RouteTestSupport {


    @Autowired
    MeterRegistry metrics;

    @Test
    void deadLettersOlderThanTheRetentionArePurged() {
        String openid = newOpenid();
        String old = newMsgId();
        String young = newMsgId();
        String unindexed = newMsgId();
        Instant now = Instant.now();
        storeLetter(openid, old, now.minus(Duration.ofDays(8)), true);
        storeLetter(openid, young, now.minus(Duration.ofDays(6)), true);
        // written before the index existed: found by its deadAt
        storeLetter(openid, unindexed, now.minus(Duration.ofDays(8)), false);
        double purgedBefore = purgedCount();

        await(() -> redis.opsForHash().hasKey(keys.deadLetters(), old) || redis.opsForHash().hasKey(keys.deadLetters(), unindexed),
                Boolean.FALSE::equals);

        assertThat(redis.opsForZSet().score(keys.deadLettersByTime(), old)).isNull();
        assertThat(redis.opsForZSet().score(keys.deadLettersByTime(), unindexed)).isNull();
        assertThat(redis.opsForHash().hasKey(keys.deadLetters(), young)).as("within the retention").isTrue();
        assertThat(redis.opsForZSet().score(keys.deadLettersByTime(), young)).isNotNull();
        assertThat(purgedCount() - purgedBefore).isGreaterThanOrEqualTo(2);
    }

    @Test
    void deadLetterListPagesWithAStableCursor() throws Exception {
        // five questions past WeChat's window: their turns make them dead letters one by one, in this order
        String openid = newOpenid();
        // ids in ascending order, so two letters that die in the same millisecond still list in this order
        List<String> ids = IntStream.range(0, 5).mapToObj(i -> newMsgId()).sorted().toList();
        ids.forEach(id -> redis.opsForList().rightPush(keys.inbox(openid), oldMessage(openid, id)));
        redis.opsForSet().add(keys.waiting(openid), openid);
        await(() -> ids.stream().allMatch(id -> redis.opsForHash().hasKey(keys.deadLetters(), id)), Boolean.TRUE::equals);
        awaitTurnsFinished(openid);

        JsonNode first = page("?limit=2");
        assertThat(first.path("letters")).hasSize(2);
        assertThat(idsOf(first, openid)).containsExactly(ids.get(0), ids.get(1));
        String cursor = first.path("next").asText();
        assertThat(cursor).isNotBlank();

        // meanwhile the page's last letter (the cursor's own) and the first are replayed; being too old, they
        // die again and are now the newest
        for (String id : List.of(ids.get(1), ids.get(0))) {
            assertThat(admin(HttpMethod.POST, "/admin/dead-letters/" + id + "/replay").getStatusCode().value())
                    .isEqualTo(200);
            await(() -> redis.opsForHash().hasKey(keys.deadLetters(), id), Boolean.TRUE::equals);
        }
        awaitTurnsFinished(openid);

        List<String> rest = new ArrayList<>();
        JsonNode next = page("?limit=2&cursor=" + cursor);
        while (true) {
            assertThat(next.path("letters").size()).isLessThanOrEqualTo(2);
            rest.addAll(idsOf(next, openid));
            if (next.path("next").isNull()) {
                break;
            }
            next = page("?limit=2&cursor=" + next.path("next").asText());
        }
        assertThat(rest).as("none skipped or repeated; the replayed ones at the end, as they died again")
                .containsExactly(ids.get(2), ids.get(3), ids.get(4), ids.get(1), ids.get(0));
        assertThat(idsOf(page(""), openid)).as("default limit: all of them in one page")
                .containsExactly(ids.get(2), ids.get(3), ids.get(4), ids.get(1), ids.get(0));
    }

    @Test
    void lettersThatDiedInTheSameMillisecondArePagedOnceEachInIdOrder() throws Exception {
        String openid = newOpenid();
        Instant same = Instant.now().minus(Duration.ofMinutes(1));
        List<String> ids = List.of("7000000000000000001", "7000000000000000002", "7000000000000000010");
        ids.forEach(id -> storeLetter(openid, id, same, true));

        JsonNode page = page("?limit=1");
        List<String> seen = new ArrayList<>(idsOf(page, openid));
        // the cursor's own letter goes meanwhile: the next page still starts right after it
        redis.opsForHash().delete(keys.deadLetters(), ids.get(0));
        redis.opsForZSet().remove(keys.deadLettersByTime(), ids.get(0));
        while (!page.path("next").isNull()) {
            page = page("?limit=1&cursor=" + page.path("next").asText());
            seen.addAll(idsOf(page, openid));
        }
        assertThat(seen).containsExactlyElementsOf(ids);
    }

    @Test
    void aBadLimitOrCursorIsA400WithAShortJsonError() throws Exception {
        // not base64; "not-a-cursor"; ":id-without-score"
        for (String query : List.of("?limit=0", "?limit=501", "?limit=ten", "?limit=-1", "?cursor=%25%25%25",
                "?cursor=bm90LWEtY3Vyc29y", "?limit=2&cursor=OmlkLXdpdGhvdXQtc2NvcmU")) {
            ResponseEntity<String> response = admin(HttpMethod.GET, "/admin/dead-letters" + query);
            assertThat(response.getStatusCode().value()).as(query).isEqualTo(400);
            assertThat(json.readTree(response.getBody()).path("error").asText()).as(query).isNotBlank();
        }
        assertThat(page("?limit=500").path("next").isNull()).isTrue();
        assertThat(page("?cursor=").path("next").isNull()).as("an empty cursor is the first page").isTrue();
    }

    @Test
    void replayAllReplaysEveryLetterBeyondTheFirstPageOnce() throws Exception {
        // 120 letters of 3 followers, more than replayAll reads at once; too old to answer, so each dies again
        List<String> openids = List.of(newOpenid(), newOpenid(), newOpenid());
        List<String> ids = new ArrayList<>();
        Instant before = Instant.now().minus(Duration.ofHours(1));
        for (int i = 0; i < 120; i++) {
            String id = newMsgId();
            ids.add(id);
            storeLetter(openids.get(i % 3), id, before.plusMillis(i), true);
        }
        double expiredBefore = metrics.counter("oac.dead.letters", "reason", "expired", "account", "default").count();
        long replayedAt = System.currentTimeMillis();

        ResponseEntity<String> response = admin(HttpMethod.POST, "/admin/dead-letters/replay");

        assertThat(response.getStatusCode().value()).isEqualTo(200);
        assertThat(json.readTree(response.getBody()).path("followers").asInt()).isEqualTo(3);
        openids.forEach(this::awaitTurnsFinished);
        await(() -> ids.stream().allMatch(id -> {
            Double score = redis.opsForZSet().score(keys.deadLettersByTime(), id);
            return score != null && score >= replayedAt;
        }), Boolean.TRUE::equals);
        assertThat(metrics.counter("oac.dead.letters", "reason", "expired",
                "account", "default").count() - expiredBefore)
                .as("each replayed once, not again after it died again").isEqualTo(120);
    }

    // ---- helpers ----

    private double purgedCount() {
        return metrics.counter("oac.dead.letters.purged", "account", "default").count();
    }

    private String oldMessage(String openid, String msgId) {
        String created = Long.toString(System.currentTimeMillis() / 1000 - 49 * 3600);
        return "{\"FromUserName\":\"" + openid + "\",\"CreateTime\":\"" + created
                + "\",\"MsgType\":\"text\",\"MsgId\":\"" + msgId + "\",\"Content\":\"too late " + msgId + "\"}";
    }

    /** A letter as DeadLetters writes it, dead since deadAt; indexed unless written before the index existed. */
    private void storeLetter(String openid, String msgId, Instant deadAt, boolean indexed) {
        try {
            String letter = json.writeValueAsString(Map.of("id", msgId, "openid", openid, "reason",
                    "older than 48 h, past WeChat's window for customer-service messages", "deadAt", deadAt.toString(),
                    "message", json.readTree(oldMessage(openid, msgId))));
            redis.opsForHash().put(keys.deadLetters(), msgId, letter);
            if (indexed) {
                redis.opsForZSet().add(keys.deadLettersByTime(), msgId, deadAt.toEpochMilli());
            }
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    private JsonNode page(String query) throws Exception {
        ResponseEntity<String> response = admin(HttpMethod.GET, "/admin/dead-letters" + query);
        assertThat(response.getStatusCode().value()).as(response.getBody()).isEqualTo(200);
        JsonNode page = json.readTree(response.getBody());
        assertThat(page.has("next")).as("next is always there, null on the last page").isTrue();
        return page;
    }

    private static List<String> idsOf(JsonNode page, String openid) {
        List<String> ids = new ArrayList<>();
        page.path("letters").forEach(letter -> {
            if (openid.equals(letter.path("openid").asText())) {
                ids.add(letter.path("id").asText());
            }
        });
        return ids;
    }

    private ResponseEntity<String> admin(HttpMethod method, String path) {
        HttpHeaders headers = new HttpHeaders();
        headers.setBearerAuth(ADMIN_TOKEN);
        return http.exchange(path, method, new HttpEntity<>(headers), String.class);
    }
}

package io.github.oac;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.List;

import org.junit.jupiter.api.Test;

/**
 * What one short question costs the routes, from its callback to its customer-service send, counted by Camel's
 * backlog tracer (FlowCounter) and Redis's command log: the routes it passes, the bean calls and OGNL reads of the
 * steps it runs, and its Redis round trips and scripts.
 */
class FlowCountsTest extends RouteTestSupport {

    @Test
    void aOnePartAnswerPassesFewRoutesAndBeanCalls() throws Exception {
        stubModelAnswer("counted answer");
        postCallback(textMessage(newOpenid(), newMsgId(), "warm up"));
        awaitQuiet(Duration.ofSeconds(15));
        FlowCounter counter = new FlowCounter(camel);
        String openid = newOpenid();

        counter.start();
        postCallback(textMessage(openid, newMsgId(), "how much does this cost?"));
        await(() -> sendsTo(openid), sends -> sends.size() == 1);
        awaitQuiet(Duration.ofSeconds(15));
        FlowCounter.Counts counts = counter.stop();
        List<String> roundTrips = redisRoundTripsOfOneAnswer("counted answer");

        System.out.println("A one-part answer:\n" + counts + "\n" + roundTrips.size() + " Redis round trips, "
                + roundTrips.stream().filter(line -> line.contains("\"EVALSHA\"") || line.contains("\"EVAL\"")).count()
                + " of them scripts");
        // wechat-callback, wake, chat-answer, model-<provider> (its breaker), ask-model-<provider>, wechat-send,
        // wechat-post
        assertThat(counts.routes()).as(counts.toString()).hasSizeLessThanOrEqualTo(7);
        assertThat(counts.beanCalls()).as(counts.toString()).hasSizeLessThanOrEqualTo(15);
        assertThat(counts.ognlReads()).as(counts.toString()).noneMatch(read -> read.endsWith("("));
    }
}

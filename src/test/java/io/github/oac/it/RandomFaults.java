package io.github.oac.it;

import java.util.Random;

import com.github.tomakehurst.wiremock.client.ResponseDefinitionBuilder;
import com.github.tomakehurst.wiremock.extension.ResponseDefinitionTransformerV2;
import com.github.tomakehurst.wiremock.http.ResponseDefinition;
import com.github.tomakehurst.wiremock.stubbing.ServeEvent;

/**
 * Makes the fake model and the fake WeChat misbehave at random, when switched on: model 500s, 429s and answers too
 * slow for the configured timeout; WeChat errcode -1 (system busy), 502 from its edge, and answers that come after
 * the service stopped waiting (the message arrived, the service cannot know). Seeded ({@code -Dit.seed=…} repeats a
 * run; the seed is printed).
 */
final class RandomFaults implements ResponseDefinitionTransformerV2 {

    static final long SEED = Long.getLong("it.seed", System.nanoTime());

    /**
     * What a service under these faults is run with (the fault runs count customer-service sends): a model timeout
     * the slow answers exceed, a few quick retries of each, no rate limit, and a WeChat timeout the late sends exceed.
     */
    static void tuneService(java.util.Map<String, String> env) {
        env.put("CHAT_OPENAI_TIMEOUT", "1500");
        env.put("CHAT_RATE_LIMIT_PER_MINUTE", "0");
        env.put("CHAT_REDELIVERY_OPENAI_MAXIMUM_REDELIVERIES", "3");
        env.put("CHAT_REDELIVERY_OPENAI_REDELIVERY_DELAY", "50");
        env.put("CHAT_REDELIVERY_WECHAT_MAXIMUM_REDELIVERIES", "4");
        env.put("CHAT_REDELIVERY_WECHAT_REDELIVERY_DELAY", "50");
        env.put("CHAT_WECHAT_TIMEOUT", "1000"); // some sends are answered after 2 s
    }
    private final Random random = new Random(SEED);
    private volatile boolean on;

    void on(boolean on) {
        this.on = on;
    }

    @Override
    public ResponseDefinition transform(ServeEvent serveEvent) {
        ResponseDefinition normal = serveEvent.getResponseDefinition();
        if (!on) {
            return normal;
        }
        String path = serveEvent.getRequest().getUrl();
        int dice;
        synchronized (random) {
            dice = random.nextInt(100);
        }
        if (path.startsWith("/v1/chat/completions")) {
            if (dice < 10) {
                return ResponseDefinitionBuilder.responseDefinition().withStatus(500).withBody("{\"error\":{\"message\":\"boom\"}}").build();
            }
            if (dice < 15) {
                return ResponseDefinitionBuilder.responseDefinition().withStatus(429).withHeader("Retry-After", "0")
                        .withBody("{\"error\":{\"message\":\"slow down\"}}").build();
            }
            if (dice < 20) {
                return ResponseDefinitionBuilder.like(normal).withFixedDelay(2500).build(); // > the 1.5 s timeout
            }
        } else if (path.startsWith("/cgi-bin/message/custom/send")) {
            if (dice < 8) {
                return ResponseDefinitionBuilder.responseDefinition().withStatus(200)
                        .withHeader("Content-Type", "application/json")
                        .withBody("{\"errcode\":-1,\"errmsg\":\"system error\"}").build();
            }
            if (dice < 11) {
                return ResponseDefinitionBuilder.responseDefinition().withStatus(502).withBody("<html>bad gateway")
                        .build();
            }
            if (dice < 13) {
                return ResponseDefinitionBuilder.like(normal).withFixedDelay(2000).build(); // > CHAT_WECHAT_TIMEOUT
            }
        }
        return normal;
    }

    @Override
    public String getName() {
        return "random-faults";
    }
}

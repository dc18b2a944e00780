package io.github.oac.chat;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;

import io.github.oac.config.ChatProperties;
import io.github.resilience4j.circuitbreaker.CircuitBreaker;
import io.github.resilience4j.circuitbreaker.CircuitBreakerConfig;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;

/**
 * The circuit breaker around the model call (routes/chat-answer.camel.yaml refers to it as {@code modelBreaker}).
 * When most recent calls failed even after their retries, it opens: followers get the apology at once instead of
 * every question hammering a provider that is down; after chat.breaker.open-duration one trial call decides whether
 * it closes again. Its state is logged on every change and exported as the gauge oac.model.breaker.open.
 */
@Configuration(proxyBeanMethods = false)
public class ModelBreakerSetup {

    private static final Logger LOG = LoggerFactory.getLogger(ModelBreakerSetup.class);

    @Bean
    CircuitBreaker modelBreaker(ChatProperties properties, MeterRegistry metrics) {
        ChatProperties.Breaker settings = properties.breaker();
        CircuitBreaker breaker = CircuitBreaker.of("model", CircuitBreakerConfig.custom()
                .slidingWindowSize(settings.window())
                .minimumNumberOfCalls(settings.minimumCalls())
                .failureRateThreshold(settings.failureRate())
                .waitDurationInOpenState(settings.openDuration())
                .permittedNumberOfCallsInHalfOpenState(settings.trialCalls())
                .automaticTransitionFromOpenToHalfOpenEnabled(true)
                .build());
        breaker.getEventPublisher().onStateTransition(event -> {
            var transition = event.getStateTransition();
            if (transition.getToState() == CircuitBreaker.State.OPEN) {
                LOG.error("The model server keeps failing: circuit breaker OPEN, followers get the apology for {}",
                        settings.openDuration());
            } else {
                LOG.warn("Model circuit breaker {} -> {}", transition.getFromState(), transition.getToState());
            }
        });
        Gauge.builder("oac.model.breaker.open", breaker,
                b -> b.getState() == CircuitBreaker.State.OPEN ? 1 : 0).register(metrics);
        return breaker;
    }
}

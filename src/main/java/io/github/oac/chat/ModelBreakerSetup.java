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
 * The circuit breaker around the model call of the default provider ({@code modelBreaker}; another base URL's is made
 * by chat/ModelProviders with {@link #breaker}). When most recent calls failed even after their retries, it opens:
 * followers get the apology at once instead of every question hammering a provider that is down; after
 * chat.breaker.open-duration one trial call decides whether it closes again. Its state is logged on every change and
 * exported as the gauge oac.model.breaker.open{provider}.
 */
@Configuration(proxyBeanMethods = false)
public class ModelBreakerSetup {

    private static final Logger LOG = LoggerFactory.getLogger(ModelBreakerSetup.class);

    @Bean
    CircuitBreaker modelBreaker(ChatProperties properties, MeterRegistry metrics) {
        return breaker(io.github.oac.config.Accounts.DEFAULT, properties.breaker(), metrics);
    }

    /** The breaker of one provider's endpoint, named for the provider (default, or the account that set it). */
    static CircuitBreaker breaker(String provider, ChatProperties.Breaker settings, MeterRegistry metrics) {
        CircuitBreaker breaker = CircuitBreaker.of("model-" + provider, CircuitBreakerConfig.custom()
                .slidingWindowSize(settings.window())
                .minimumNumberOfCalls(settings.minimumCalls())
                .failureRateThreshold(settings.failureRate())
                .waitDurationInOpenState(settings.openDuration())
                .permittedNumberOfCallsInHalfOpenState(settings.trialCalls())
                .automaticTransitionFromOpenToHalfOpenEnabled(true)
                // a provider that asked for a pause (Retry-After) is not failing: its limits hold it, not the breaker
                .ignoreException(ModelFailures::isWait)
                .build());
        breaker.getEventPublisher().onStateTransition(event -> {
            var transition = event.getStateTransition();
            if (transition.getToState() == CircuitBreaker.State.OPEN) {
                LOG.error("The model server of provider {} keeps failing: circuit breaker OPEN, no calls to it for {} "
                        + "(its questions go to a fallback if there is one, else the apology or the wait: "
                        + "chat.breaker.when-open)", provider, settings.openDuration());
            } else {
                LOG.warn("Model circuit breaker of provider {}: {} -> {}", provider, transition.getFromState(),
                        transition.getToState());
            }
        });
        Gauge.builder("oac.model.breaker.open", breaker,
                b -> b.getState() == CircuitBreaker.State.OPEN ? 1 : 0).tag("provider", provider).register(metrics);
        return breaker;
    }
}

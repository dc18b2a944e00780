package io.github.oac.sandbox;

import org.apache.camel.Exchange;
import org.apache.camel.http.base.HttpOperationFailedException;
import org.apache.camel.spi.CamelEvent;
import org.apache.camel.spi.CamelEvent.ExchangeSendingEvent;
import org.apache.camel.spi.CamelEvent.ExchangeSentEvent;
import org.apache.camel.support.EventNotifierSupport;
import org.springframework.boot.autoconfigure.condition.ConditionalOnProperty;
import org.springframework.stereotype.Component;

import io.github.oac.store.Outbox;

/**
 * Records, from Camel's own events, what happened to a sandbox follower's last message: the callback's admission
 * outcome and every model call attempt with its result and time. Sends to WeChat are recorded by the stand-in,
 * which sees each of them. Watching from outside keeps the routes free of sandbox steps. Sandbox mode only.
 */
@ConditionalOnProperty(name = "chat.sandbox.active", havingValue = "true")
@Component
public class TraceRecorder extends EventNotifierSupport {

    private final SandboxChats chats;

    public TraceRecorder(SandboxChats chats) {
        this.chats = chats;
        setIgnoreCamelContextEvents(true);
        setIgnoreRouteEvents(true);
        setIgnoreServiceEvents(true);
        setIgnoreExchangeCreatedEvent(true);
        setIgnoreExchangeCompletedEvent(true);
        setIgnoreExchangeFailedEvents(true);
        setIgnoreExchangeRedeliveryEvents(true);
        setIgnoreStepEvents(true);
    }

    @Override
    public void notify(CamelEvent event) {
        if (event instanceof ExchangeSendingEvent sending
                && sending.getEndpoint().getEndpointUri().startsWith("direct://http-reply")) {
            // the callback is about to answer: its admission outcome is decided, the nonce names the request
            Exchange exchange = sending.getExchange();
            String nonce = exchange.getMessage().getHeader("nonce", String.class);
            Object admission = exchange.getVariable("admission");
            if (nonce != null && nonce.startsWith("sbx") && admission != null) {
                Object handout = exchange.getVariable("handout");
                chats.admitted(nonce, admission.toString(),
                        handout instanceof Outbox.Handout h ? h.path() : null);
            }
        } else if (event instanceof ExchangeSentEvent sent
                && sent.getEndpoint().getEndpointUri().contains("/chat/completions")) {
            Exchange exchange = sent.getExchange();
            String openid = exchange.getVariable("openid", String.class);
            if (openid != null) {
                chats.traced(openid, "model", "attempt " + attempt(exchange) + " → " + result(exchange) + " in "
                        + sent.getTimeTaken() + " ms");
            }
        }
    }

    private static int attempt(Exchange exchange) {
        Integer redeliveries = exchange.getMessage().getHeader(Exchange.REDELIVERY_COUNTER, Integer.class);
        return redeliveries == null ? 1 : redeliveries + 1;
    }

    private static String result(Exchange exchange) {
        Exception failure = exchange.getException();
        if (failure instanceof HttpOperationFailedException http) {
            return "HTTP " + http.getStatusCode();
        }
        if (failure != null) {
            return failure.getClass().getSimpleName();
        }
        return "HTTP " + exchange.getMessage().getHeader(Exchange.HTTP_RESPONSE_CODE, "200", String.class);
    }
}

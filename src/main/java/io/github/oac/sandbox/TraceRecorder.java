package io.github.oac.sandbox;

import org.apache.camel.Exchange;
import org.apache.camel.http.base.HttpOperationFailedException;
import org.apache.camel.spi.CamelEvent;
import org.apache.camel.component.platform.http.springboot.PlatformHttpMessage;
import org.apache.camel.spi.CamelEvent.ExchangeCompletedEvent;
import org.apache.camel.spi.CamelEvent.ExchangeCreatedEvent;
import org.apache.camel.spi.CamelEvent.ExchangeSentEvent;
import org.apache.camel.support.EventNotifierSupport;
import org.springframework.boot.autoconfigure.condition.ConditionalOnProperty;
import org.springframework.stereotype.Component;

import io.github.oac.store.Admission;
import io.github.oac.store.Outbox;
import io.github.oac.wechat.Follower;

/**
 * Records, from Camel's own events, what happened to a sandbox follower's last message: the callback's admission
 * outcome and every model call attempt with its result and time. Sends to WeChat are recorded by the stand-in,
 * which sees each of them. Watching from outside keeps the routes free of sandbox steps. Sandbox mode only.
 */
@ConditionalOnProperty(name = "chat.sandbox.active", havingValue = "true")
@Component
public class TraceRecorder extends EventNotifierSupport {

    private static final String NONCE = "oac.sandbox.nonce";

    private final SandboxChats chats;

    public TraceRecorder(SandboxChats chats) {
        this.chats = chats;
        setIgnoreCamelContextEvents(true);
        setIgnoreRouteEvents(true);
        setIgnoreServiceEvents(true);
        setIgnoreExchangeFailedEvents(true);
        setIgnoreExchangeRedeliveryEvents(true);
        setIgnoreStepEvents(true);
    }

    @Override
    public void notify(CamelEvent event) {
        if (event instanceof ExchangeCreatedEvent created
                && created.getExchange().getMessage() instanceof PlatformHttpMessage http && http.getRequest() != null
                && isCallback(http.getRequest().getRequestURI())) {
            // a callback arrives: note its nonce (the request is gone by the time it completes), and which exchange
            // is the callback's own (a wireTap's copy completes too, with the same properties)
            String nonce = http.getRequest().getParameter("nonce");
            if (nonce != null && nonce.startsWith("sbx")) {
                created.getExchange().setProperty(NONCE, created.getExchange().getExchangeId() + " " + nonce);
            }
        } else if (event instanceof ExchangeCompletedEvent completed
                && completed.getExchange().getProperty(NONCE) instanceof String noted
                && noted.startsWith(completed.getExchange().getExchangeId() + " ")) {
            // the callback answered: its admission outcome was decided
            Exchange exchange = completed.getExchange();
            chats.admitted(noted.substring(noted.indexOf(' ') + 1),
                    exchange.getVariable("admitted") instanceof Admission.Admitted a ? a.outcome() : null,
                    exchange.getVariable("handout") instanceof Outbox.Handout h ? h.path() : null);
        } else if (event instanceof ExchangeSentEvent sent
                && sent.getEndpoint().getEndpointUri().contains("/chat/completions")) {
            Exchange exchange = sent.getExchange();
            if (exchange.getVariable("follower") instanceof Follower follower) {
                chats.traced(follower.openid(), "model", (exchange.getVariable("provider") instanceof String p
                        ? p + ": " : "") + "attempt " + attempt(exchange) + " → " + result(exchange) + " in "
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

    /** WeChat's callbacks: /wechat, and /wechat/<account> for the sandbox's second account. */
    private static boolean isCallback(String path) {
        return "/wechat".equals(path) || path != null && path.startsWith("/wechat/");
    }
}

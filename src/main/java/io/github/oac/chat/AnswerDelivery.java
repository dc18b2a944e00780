package io.github.oac.chat;

import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.atomic.AtomicBoolean;

import org.apache.camel.Exchange;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.data.redis.core.StringRedisTemplate;
import org.springframework.stereotype.Component;

import com.fasterxml.jackson.core.JsonProcessingException;

import io.github.oac.config.ChatProperties;
import io.github.oac.store.DeadLetters;
import io.github.oac.store.Progress;
import io.github.oac.wechat.InboundMessage;
import io.github.oac.wechat.CustomerServiceText;
import io.github.oac.wechat.WechatApiException;

/**
 * Sends a text as customer-service messages within WeChat's limits: parts of at most chat.delivery.max-bytes, at
 * most chat.delivery.max-messages per follower message, the last of them ending with the continue hint when more
 * remains. The rest waits in {@code oac:pending:<openid>} for the continue command. A quota or window refusal
 * (45047, 45015) stops the answer and keeps what was not sent; a follower WeChat will not reach (43004, 40003) or a
 * missing permission (48001) drops it. The state of one delivery lives in the exchange variable {@code delivery}.
 * Called as {@code answerDelivery}.
 */
@Component("answerDelivery")
public class AnswerDelivery {

    public static final String DELIVERY = "delivery";
    public static final String WECHAT_FAILURE = "wechatFailure";
    private static final Logger LOG = LoggerFactory.getLogger(AnswerDelivery.class);
    private static final Set<Integer> KEEP_FOR_LATER = Set.of(45047, 45015);

    private final StringRedisTemplate redis;
    private final ChatProperties.Delivery limits;
    private final String hint;
    private final String nothingPending;
    private final String prefix;
    private final AtomicBoolean permissionReported = new AtomicBoolean();

    private final Progress progress;
    private final DeadLetters deadLetters;

    public AnswerDelivery(StringRedisTemplate redis, Progress progress, DeadLetters deadLetters,
                          ChatProperties properties) {
        this.redis = redis;
        this.progress = progress;
        this.deadLetters = deadLetters;
        this.limits = properties.delivery();
        this.hint = properties.replies().continueHint();
        this.nothingPending = properties.replies().nothingPending();
        this.prefix = properties.redis().keyPrefix() + "pending:";
    }

    /**
     * Plans the delivery of the body's text, skipping the parts WeChat already accepted in an earlier attempt of
     * this message's turn. A new answer replaces whatever was still pending.
     */
    public void plan(Exchange exchange) {
        Delivery delivery = Delivery.of(exchange.getMessage().getBody(String.class), limits, hint);
        delivery.skip(progress.sent(exchange.getVariable("msgKey", String.class)));
        exchange.setVariable(DELIVERY, delivery);
    }

    /**
     * The pending rest of a long answer (the continue command), or the words for nothing pending. Read, not taken:
     * finish() replaces or clears it once this delivery is over, so a crash in between loses nothing.
     */
    public String pending(String openid) {
        String pending = redis.opsForValue().get(prefix + openid);
        return pending == null ? nothingPending : pending;
    }

    public boolean hasNext(Exchange exchange) {
        return delivery(exchange).hasNext();
    }

    /** The next part, as the body for direct:wechat-send. */
    public CustomerServiceText next(Exchange exchange) {
        exchange.removeVariable(WECHAT_FAILURE);
        return CustomerServiceText.of(exchange.getVariable("openid", String.class), delivery(exchange).nextText());
    }

    /** Records how the send went (direct:wechat-send leaves a final failure in the variable wechatFailure). */
    public void sent(Exchange exchange) throws JsonProcessingException {
        Delivery delivery = delivery(exchange);
        Exception failure = exchange.getVariable(WECHAT_FAILURE, Exception.class);
        String msgKey = exchange.getVariable("msgKey", String.class);
        if (failure == null) {
            progress.sentOne(msgKey);
            delivery.advance();
            return;
        }
        int errcode = failure instanceof WechatApiException api ? api.getErrcode() : Integer.MIN_VALUE;
        if (KEEP_FOR_LATER.contains(errcode)) {
            LOG.warn("WeChat refused part {} of the answer to {} (errcode {}); the rest waits for the continue command",
                    delivery.index() + 1, msgKey, errcode);
            delivery.stopKeepingRest();
        } else if (errcode == 48001) {
            if (permissionReported.compareAndSet(false, true)) {
                LOG.error("WeChat answered 48001 (api unauthorized): this Official Account has no customer-service "
                        + "permission, so no answer can be delivered. Verify the account (微信认证) or use a test "
                        + "account. Further 48001 errors are logged at DEBUG.");
            } else {
                LOG.debug("48001 again for {}", msgKey);
            }
            deadLetter(exchange, delivery, failure);
        } else {
            LOG.error("Answer to {} stopped after part {}: {}", msgKey, delivery.index(), failure.getMessage());
            deadLetter(exchange, delivery, failure);
        }
    }

    private void deadLetter(Exchange exchange, Delivery delivery, Exception failure) throws JsonProcessingException {
        String unsent = delivery.unsent();
        delivery.stopDroppingRest();
        deadLetters.record(exchange.getVariable("message", InboundMessage.class),
                "WeChat refused the answer: " + failure.getMessage(), unsent);
    }

    /** Keeps what was not sent for the continue command (48 h), or clears what an earlier answer left. */
    public void finish(Exchange exchange) {
        String key = prefix + exchange.getVariable("openid", String.class);
        String rest = delivery(exchange).rest();
        if (rest.isEmpty()) {
            redis.delete(key);
        } else {
            redis.opsForValue().set(key, rest, limits.pendingTtl());
        }
    }

    private static Delivery delivery(Exchange exchange) {
        return exchange.getVariable(DELIVERY, Delivery.class);
    }

    /** One text's way out: the parts to send now, the rest for later, how far sending got. */
    public static final class Delivery {

        private final List<String> parts;
        private final boolean hintOnLast;
        private final String hint;
        private String rest;
        private int index;
        private boolean stopped;

        private Delivery(List<String> parts, boolean hintOnLast, String hint, String rest) {
            this.parts = parts;
            this.hintOnLast = hintOnLast;
            this.hint = hint;
            this.rest = rest;
        }

        static Delivery of(String text, ChatProperties.Delivery limits, String hint) {
            String hintSuffix = "\n\n" + hint;
            ReplySplitter.Split split = ReplySplitter.split(text, limits.maxBytes(), limits.maxMessages(),
                    limits.maxBytes() - ReplySplitter.bytes(hintSuffix));
            return new Delivery(split.parts(), !split.rest().isEmpty(), hintSuffix, split.rest());
        }

        public boolean hasNext() {
            return !stopped && index < parts.size();
        }

        String nextText() {
            String part = parts.get(index);
            return hintOnLast && index == parts.size() - 1 ? part + hint : part;
        }

        int index() {
            return index;
        }

        void advance() {
            index++;
        }

        void skip(int alreadySent) {
            index = Math.min(parts.size(), Math.max(0, alreadySent));
        }

        void stopKeepingRest() {
            rest = unsent();
            stopped = true;
        }

        /** What has not gone out: the parts from the current one on, and the rest beyond the budget. */
        String unsent() {
            List<String> unsent = new ArrayList<>(parts.subList(index, parts.size()));
            if (!rest.isEmpty()) {
                unsent.add(rest);
            }
            return String.join("\n\n", unsent);
        }

        void stopDroppingRest() {
            rest = "";
            stopped = true;
        }

        String rest() {
            return rest;
        }

        public List<String> parts() {
            return List.copyOf(parts);
        }
    }
}

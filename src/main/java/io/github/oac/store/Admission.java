package io.github.oac.store;

import java.time.Duration;
import java.util.List;

import org.apache.camel.Exchange;
import org.springframework.data.redis.core.StringRedisTemplate;
import org.springframework.data.redis.core.script.RedisScript;
import org.springframework.stereotype.Component;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;

import io.github.oac.wechat.Commands;
import io.github.oac.config.ChatProperties;
import io.github.oac.wechat.InboundMessage;
import io.github.oac.wechat.ReplayGuard;

/**
 * Everything the callback asks of Redis, in one round trip and one atomic step: is this signed request a replay, is
 * the message a duplicate, is the follower over the rate limit, is an earlier answer owed to them (hybrid and passive
 * delivery: it goes back in this message's reply), and, for a question, the message appended to the follower's inbox.
 * Either all of it is recorded or none (Redis unreachable: 503, WeChat retries). Called as {@code admission}; the
 * outcome is one of {@code replay}, {@code duplicate}, {@code retry} (WeChat delivered this message again and its
 * reply slot exists: the callback answers what the first delivery would have), {@code full} (the follower already
 * has chat.queue.inbox-max questions waiting: not queued, and not counted against the rate limit), {@code limited},
 * {@code accepted} (a question now in the inbox), {@code pickup} (an owed answer is this message's reply; a question
 * is queued too) and {@code new} (anything else, answered by the callback itself).
 */
@Component("admission")
public class Admission {

    /**
     * What the admission decided. mode: the delivery mode in force (auto resolved); reply: an owed answer picked up
     * for this message; deliveries: how often WeChat delivered it (retry); queued: a question went into the inbox;
     * receivedAt: when the callback of the message whose answer was picked up arrived (0: unknown); pickedEntry: the
     * outbox entry picked up, as it was (to give it back if the reply cannot reach WeChat in time).
     */
    public record Admitted(String outcome, String mode, String reply, int deliveries, boolean queued,
                           long receivedAt, String pickedEntry) {

        /** This callback waits for its own answer: a question in hybrid or passive delivery, or a re-delivery. */
        public boolean awaitsReply() {
            return "retry".equals(outcome) || "accepted".equals(outcome) && !"push".equals(mode);
        }
    }

    // KEYS: replay, dedup, rate, inbox, inboxes, reply slot, outbox, pending, learned delivery mode.
    // ARGV[20]: why a new question is refused before the inbox cap and rate limit are looked at ('' for none: busy,
    // ignored), decided by the callback; replay, duplicate and re-delivery come first, and an owed answer still goes.
    // The replay record holds a digest of the request's body: WeChat re-sending the same message may reuse the very
    // same signed query string with the very same body; any other body under it is a replay, and locks the request.
    private static final RedisScript<List> ADMIT = RedisScript.of(Outbox.SLOT_FUNCTIONS + """
            local mode = ARGV[9]
            if mode == 'auto' then
              if redis.call('GET', KEYS[9]) == 'passive' then mode = 'passive' else mode = 'hybrid' end
            end
            local reused = not redis.call('SET', KEYS[1], ARGV[8], 'NX', 'EX', ARGV[1])
            if reused and redis.call('GET', KEYS[1]) ~= ARGV[8] then
              redis.call('SET', KEYS[1], 'locked', 'KEEPTTL')
              return {'replay', mode}
            end
            local fresh = redis.call('SET', KEYS[2], '1', 'NX', 'EX', ARGV[2])
            if reused or not fresh then
              -- a re-delivery: answered as the first delivery was, never admitted twice (even once dedup lapsed)
              if redis.call('EXISTS', KEYS[6]) == 0 then return {'duplicate', mode} end
              return {'retry', mode, '', tostring(redis.call('HINCRBY', KEYS[6], 'n', 1)), '0', '0'}
            end
            local question = ARGV[3] == '1'
            local refused = nil
            if question and ARGV[20] ~= '' then
              -- a new question the callback refuses (no trigger prefix, or the answering side is saturated)
              refused = ARGV[20]
            elseif question then
              local inboxMax = tonumber(ARGV[7])
              if inboxMax > 0 and redis.call('LLEN', KEYS[4]) >= inboxMax then
                refused = 'full'
              else
                local limit = tonumber(ARGV[4])
                if limit > 0 then
                  local n = redis.call('INCR', KEYS[3])
                  if n == 1 then redis.call('EXPIRE', KEYS[3], 60) end
                  if n > limit then refused = 'limited' end
                end
              end
            end
            local reply, at, given = '', '0', ''
            if ARGV[10] == '1' then
              -- an answer owed to the follower goes first, whatever else this message gets
              local suffix = ''
              if refused == 'full' then suffix = ARGV[18]
              elseif refused == 'limited' then suffix = ARGV[19]
              elseif refused == 'busy' then suffix = ARGV[21]
              elseif refused == 'ignored' then suffix = ''
              elseif question and ARGV[11] ~= '1' and mode == 'passive' then suffix = ARGV[15] end
              reply, at, given = pickup(KEYS[7], ARGV[12], ARGV[13], KEYS[6], ARGV[17], KEYS[8], ARGV[14], suffix, ARGV[16])
            end
            if refused then
              if reply ~= '' then return {'pickup', mode, reply, '1', '0', at, given} end
              return {refused, mode}
            end
            -- a continue command that got an owed answer is answered by it
            if question and not (reply ~= '' and ARGV[11] == '1') then
              redis.call('RPUSH', KEYS[4], ARGV[5])
              redis.call('SADD', KEYS[5], ARGV[6])
              if reply ~= '' then return {'pickup', mode, reply, '1', '1', at, given} end
              if mode ~= 'push' then
                redis.call('HSET', KEYS[6], 'n', 1, 't', now_ms()); redis.call('PEXPIRE', KEYS[6], ARGV[17])
              end
              return {'accepted', mode}
            end
            if reply ~= '' then return {'pickup', mode, reply, '1', '0', at, given} end
            return {'new', mode}
            """, List.class);

    private final StringRedisTemplate redis;
    private final ObjectMapper json;
    private final Commands commands;
    private final Keys keys;
    private final String prefix;
    private final Duration replayTtl;
    private final Duration dedupTtl;
    private final int perMinute;
    private final int inboxMax;
    private final String mode;
    private final String retryWindow;
    private final String pendingTtl;
    private final String queuedHint;
    private final String fullHint;
    private final String limitedHint;
    private final String busyHint;
    private final String passiveMaxBytes;

    public Admission(StringRedisTemplate redis, ObjectMapper json, Commands commands, Keys keys,
                     ChatProperties properties) {
        this.redis = redis;
        this.json = json;
        this.commands = commands;
        this.keys = keys;
        this.prefix = properties.redis().keyPrefix();
        this.replayTtl = properties.callback().timestampWindow().multipliedBy(2);
        this.dedupTtl = properties.callback().dedupTtl();
        this.perMinute = properties.rateLimit().perMinute();
        this.inboxMax = properties.queue().inboxMax();
        this.mode = properties.delivery().mode().strip().toLowerCase(java.util.Locale.ROOT);
        this.retryWindow = Outbox.millis(properties.delivery().retryWindow());
        this.pendingTtl = Outbox.millis(properties.delivery().pendingTtl());
        this.queuedHint = "\n\n" + properties.replies().queued();
        this.fullHint = "\n\n" + properties.replies().inboxFull();
        this.limitedHint = "\n\n" + properties.replies().rateLimited();
        this.busyHint = "\n\n" + properties.replies().busy();
        this.passiveMaxBytes = Integer.toString(properties.replies().passiveMaxBytes());
    }

    /**
     * refusal: busy or ignored when the callback would turn this message away if it is a new question (null: it
     * would not). It counts only once the message is known to be new: WeChat re-delivering an accepted question gets
     * what its first delivery got, and an answer owed to the follower is handed out all the same.
     */
    public Admitted admit(Exchange exchange, String refusal) throws JsonProcessingException {
        InboundMessage message = exchange.getMessage().getBody(InboundMessage.class);
        var headers = exchange.getMessage();
        // keyed on what the signature signs, not on how it is spelled (the check ignores the hex digits' case)
        String replay = ReplayGuard.key(prefix, headers.getHeader("signature", String.class));
        String openid = message.fromUserName();
        boolean question = message.question() != null;
        // commands cost no model call, so they are never rate limited
        int limit = question && !commands.isCommand(message) ? perMinute : 0;
        List<?> result = redis.execute(ADMIT,
                List.of(replay, prefix + "dedup:" + message.key(), prefix + "rate:" + openid,
                        keys.inbox(openid), keys.inboxes(), keys.reply(message.key()), keys.outbox(openid),
                        keys.pending(openid), keys.deliveryMode()),
                Long.toString(replayTtl.toSeconds()), Long.toString(dedupTtl.toSeconds()), question ? "1" : "0",
                Integer.toString(limit), question ? entry(message, exchange) : "", openid,
                Integer.toString(inboxMax), ReplayGuard.digest(exchange.getVariable("callbackXml", String.class)), mode, message.mayCarryReply() ? "1" : "0",
                question && commands.isContinue(message) ? "1" : "0", prefix + "reply:", retryWindow, pendingTtl,
                queuedHint, passiveMaxBytes, Long.toString(dedupTtl.toMillis()), fullHint, limitedHint,
                refusal == null ? "" : refusal, busyHint);
        return new Admitted((String) result.get(0), (String) result.get(1),
                result.size() > 2 && !"".equals(result.get(2)) ? (String) result.get(2) : null,
                result.size() > 3 ? Integer.parseInt((String) result.get(3)) : 1,
                result.size() > 4 && "1".equals(result.get(4)),
                result.size() > 5 ? Long.parseLong((String) result.get(5)) : 0,
                result.size() > 6 ? (String) result.get(6) : null);
    }

    /** The inbox entry: the message as JSON (with its key), and when its callback arrived ("At", epoch ms). */
    private String entry(InboundMessage message, Exchange exchange) throws JsonProcessingException {
        com.fasterxml.jackson.databind.node.ObjectNode node = json.valueToTree(message);
        Long arrivedAt = exchange.getVariable("arrivedAt", Long.class);
        node.put("At", arrivedAt == null ? exchange.getClock().getCreated() : arrivedAt);
        return json.writeValueAsString(node);
    }
}

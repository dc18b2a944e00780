package io.github.oac.store;

import java.util.List;

import org.springframework.data.redis.core.StringRedisTemplate;
import org.springframework.data.redis.core.script.RedisScript;
import org.springframework.stereotype.Component;

import io.github.oac.config.ChatProperties;

/**
 * Per-follower state kept in Redis, by openid. WeChat asks that a follower's data goes when they unfollow:
 * {@link #forget} removes, in one atomic step, what predates the unsubscribe event: their queued messages with the
 * progress and reply records of those messages, answers owed for them, the conversation, the rest of a long answer,
 * the rate count and the lease (a turn still in flight then fails its lease checks and writes nothing more), and the
 * text of their dead letters. A message they sent after following again stays, and is answered. Called as
 * {@code followers}.
 */
@Component("followers")
public class Followers {

    // KEYS: inboxes, inbox, owner, memory, pending, outbox, rate, the unsubscribe marker, dead letters (hash), this
    // follower's dead letters (set). ARGV: openid, the unsubscribe's CreateTime (s), when it arrived (ms), the key
    // prefix, the marker's time to live (ms).
    // "Before" the unsubscribe: created in an earlier second, or in its second and arrived no later than it first
    // did. The marker keeps that first arrival, so WeChat re-delivering the event later (after a 503, say) does not
    // take what the follower asked after following again. Running twice removes nothing more.
    private static final RedisScript<Long> FORGET = RedisScript.of("""
            local t = tonumber(ARGV[2]) or 0
            local cutoff = tonumber(ARGV[3])
            local first = redis.call('GET', KEYS[8])
            if first then
              local ct, at = string.match(first, '^(%d+):(%d+)$')
              if tonumber(ct) == t then cutoff = math.min(cutoff, tonumber(at)) end
            end
            redis.call('SET', KEYS[8], string.format('%d:%d', t, cutoff), 'PX', ARGV[5])
            local function before(created, arrived)
              local c = tonumber(created) or 0
              return c < t or (c == t and (tonumber(arrived) or 0) <= cutoff)
            end
            local removed = 0
            for _, raw in ipairs(redis.call('LRANGE', KEYS[2], 0, -1)) do
              local ok, m = pcall(cjson.decode, raw)
              if not ok or type(m) ~= 'table' or before(m.CreateTime, m.At) then
                redis.call('LREM', KEYS[2], 1, raw)
                if ok and type(m) == 'table' and type(m.Key) == 'string' then
                  redis.call('DEL', ARGV[4] .. 'progress:' .. m.Key, ARGV[4] .. 'reply:' .. m.Key)
                end
                removed = removed + 1
              end
            end
            if redis.call('LLEN', KEYS[2]) == 0 then redis.call('SREM', KEYS[1], ARGV[1]) end
            for _, raw in ipairs(redis.call('LRANGE', KEYS[6], 0, -1)) do
              local ok, e = pcall(cjson.decode, raw)
              if not ok or type(e) ~= 'table' or (tonumber(e.at) or 0) <= cutoff then
                redis.call('LREM', KEYS[6], 1, raw)
                if ok and type(e) == 'table' and type(e.k) == 'string' then
                  redis.call('DEL', ARGV[4] .. 'reply:' .. e.k)
                end
                removed = removed + 1
              end
            end
            redis.call('DEL', KEYS[3], KEYS[4], KEYS[5], KEYS[7])
            for _, id in ipairs(redis.call('SMEMBERS', KEYS[10])) do
              local raw = redis.call('HGET', KEYS[9], id)
              local ok, letter = pcall(cjson.decode, raw or '')
              if ok and type(letter) == 'table' and not letter.forgotten then
                if type(letter.message) == 'table' then
                  letter.message.Content = nil; letter.message.Recognition = nil; letter.message.Encrypt = nil
                end
                letter.unsent = nil
                letter.forgotten = true
                redis.call('HSET', KEYS[9], id, cjson.encode(letter))
              end
            end
            return removed
            """, Long.class);

    private final StringRedisTemplate redis;
    private final String prefix;
    private final String markerTtl;

    public Followers(StringRedisTemplate redis, ChatProperties properties) {
        this.redis = redis;
        this.prefix = properties.redis().keyPrefix();
        this.markerTtl = Long.toString(properties.callback().dedupTtl().toMillis());
    }

    /**
     * Forgets what the follower left before the unsubscribe event created at createTime (WeChat's seconds) that
     * reached the service at arrivedAt (epoch ms). Idempotent: WeChat re-delivering the event, or a retry after a
     * failure, removes nothing more.
     */
    public void forget(String openid, String createTime, long arrivedAt) {
        if (openid == null || openid.isBlank()) {
            return;
        }
        redis.execute(FORGET, List.of(prefix + "inboxes", prefix + "inbox:" + openid,
                        prefix + "owner:" + openid, prefix + "memory:" + openid, prefix + "pending:" + openid,
                        prefix + "outbox:" + openid, prefix + "rate:" + openid, prefix + "left:" + openid,
                        prefix + "dead", prefix + "dead:of:" + openid),
                openid, createTime == null ? "0" : createTime.strip(), Long.toString(arrivedAt), prefix, markerTtl);
    }
}

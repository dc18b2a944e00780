package io.github.oac.store;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import org.springframework.data.redis.core.StringRedisTemplate;
import org.springframework.data.redis.core.script.RedisScript;

/**
 * One of the store's Lua scripts, run with a typed call. Each script is a file under
 * {@code src/main/resources/redis/} that opens with a header naming its KEYS and ARGV and what it returns
 * (docs/architecture.md lists them); its {@link Call} is a record whose components are those KEYS and ARGV, in the
 * header's order. A line {@code --! include <fragment>} in a file stands for {@code redis/lib/<fragment>.lua}, put
 * in its place at most once per script, so functions several scripts share (the lease check, the reply slots) are
 * written once.
 * <p>
 * Plain scripts rather than Redis 7 functions: the bundled fallback server is Redis 6.2, and the cluster proxies of
 * cloud offerings often refuse FUNCTION. Spring Data sends a script's digest first (EVALSHA) and its text only when
 * the server answers NOSCRIPT (a restarted server, or a replica promoted by a failover, that never saw it).
 *
 * @param <C> the script's call
 * @param <T> what it returns (Long, String or List)
 */
public final class Script<C extends Script.Call, T> {

    /** A script's KEYS and ARGV, in the order its file's header names them. */
    public interface Call {
        List<String> keys();

        List<String> args();
    }

    /** delete-if-same.lua, for any key that may only go while it holds a value (a lease, a refused token). */
    public record DeleteIfSame(String key, String value) implements Call {
        public List<String> keys() {
            return List.of(key);
        }

        public List<String> args() {
            return List.of(value);
        }
    }

    private static final Pattern INCLUDE = Pattern.compile("(?m)^--! include ([a-z0-9-]+)[ \\t]*$");

    private final RedisScript<T> script;

    private Script(String name, Class<T> resultType) {
        this.script = RedisScript.of(source(name), resultType);
    }

    /** The script {@code redis/<name>.lua}, with its fragments in place, answering resultType. */
    public static <C extends Call, T> Script<C, T> of(String name, Class<T> resultType) {
        return new Script<>(name, resultType);
    }

    /** Runs the script with this call's keys and arguments. */
    public T run(StringRedisTemplate redis, C call) {
        return redis.execute(script, call.keys(), call.args().toArray());
    }

    /** The text Redis runs for {@code redis/<name>.lua}: the file with its fragments in place. */
    public static String source(String name) {
        return withFragments(read("redis/" + name + ".lua"), new LinkedHashSet<>());
    }

    /** A duration as the milliseconds scripts take. */
    public static String millis(Duration duration) {
        return Long.toString(duration.toMillis());
    }

    /** A flag as scripts take it: "1" or "0". */
    public static String flag(boolean set) {
        return set ? "1" : "0";
    }

    private static String withFragments(String text, Set<String> included) {
        Matcher include = INCLUDE.matcher(text);
        StringBuilder joined = new StringBuilder(text.length() * 2);
        while (include.find()) {
            String fragment = include.group(1);
            String replacement = included.add(fragment)
                    ? withFragments(read("redis/lib/" + fragment + ".lua"), included).stripTrailing()
                    : "-- (" + fragment + " is above)";
            include.appendReplacement(joined, Matcher.quoteReplacement(replacement));
        }
        include.appendTail(joined);
        return joined.toString();
    }

    private static String read(String resource) {
        try (InputStream in = Script.class.getClassLoader().getResourceAsStream(resource)) {
            if (in == null) {
                throw new IllegalStateException("No Redis script " + resource + " on the class path");
            }
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException("Could not read the Redis script " + resource, e);
        }
    }
}

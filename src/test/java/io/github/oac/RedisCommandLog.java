package io.github.oac;

import java.net.URI;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.regex.Pattern;

import redis.clients.jedis.Jedis;
import redis.clients.jedis.JedisMonitor;

/**
 * Every command the Redis server receives from its clients while open (MONITOR), without the commands scripts run
 * inside Redis: what is left is one line per round trip a client made (pipelines aside, which this service does not
 * use).
 */
final class RedisCommandLog implements AutoCloseable {

    private static final Pattern INSIDE_A_SCRIPT = Pattern.compile("^\\S+ \\[\\d+ lua\\]");

    private final Jedis connection;
    private final List<String> commands = new CopyOnWriteArrayList<>();
    private final Thread reader;

    private RedisCommandLog(String url) throws InterruptedException {
        connection = new Jedis(URI.create(url));
        reader = new Thread(() -> {
            try {
                connection.monitor(new JedisMonitor() {
                    @Override
                    public void onCommand(String command) {
                        if (!INSIDE_A_SCRIPT.matcher(command).find()) {
                            commands.add(command);
                        }
                    }
                });
            } catch (RuntimeException closed) {
                // close() ends the monitor by closing its connection
            }
        }, "redis-command-log");
        reader.setDaemon(true);
        reader.start();
        Thread.sleep(200); // MONITOR is in place before the caller's first command
    }

    static RedisCommandLog start(String url) throws InterruptedException {
        return new RedisCommandLog(url);
    }

    /** The client commands whose text mentions any of these (an openid, a MsgId, a key). */
    List<String> mentioning(String... needles) throws InterruptedException {
        Thread.sleep(200); // the last lines are still on their way
        return commands.stream().filter(line -> {
            for (String needle : needles) {
                if (line.contains(needle)) {
                    return true;
                }
            }
            return false;
        }).toList();
    }

    @Override
    public void close() {
        connection.disconnect();
    }
}

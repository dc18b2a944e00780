package io.github.oac;

import java.net.URI;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.CopyOnWriteArrayList;

import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.BeforeEachCallback;
import org.junit.jupiter.api.extension.ExtensionContext;
import org.springframework.test.context.junit.jupiter.SpringExtension;

import io.github.oac.store.RedisEndpoint;
import redis.clients.jedis.Jedis;
import redis.clients.jedis.JedisMonitor;
import redis.clients.jedis.Protocol;
import redis.clients.jedis.exceptions.JedisDataException;
import redis.clients.jedis.util.JedisClusterCRC16;

/**
 * Fails a test class when anything it made the service do would be refused by Redis Cluster: a script, or a
 * command, naming keys of more than one slot, or a script touching a key outside its slot. Every command the
 * service's Redis receives while the class runs is recorded (MONITOR); the keys of each come from Redis itself
 * (COMMAND GETKEYS), the commands a script runs are taken with the script, and each key's slot is the cluster's
 * (CRC16 of the hash tag, mod 16384).
 */
public final class OneSlotCheck implements BeforeEachCallback, AfterAllCallback {

    private static final ExtensionContext.Namespace NAMESPACE = ExtensionContext.Namespace.create(OneSlotCheck.class);

    @Override
    public void beforeEach(ExtensionContext context) throws Exception {
        ExtensionContext.Store store = context.getParent().orElseThrow().getStore(NAMESPACE);
        if (store.get(Recording.class) == null) {
            String url = SpringExtension.getApplicationContext(context).getBean(RedisEndpoint.class).url();
            if (url == null) {
                return; // behind Sentinel the primary changes: the single-server runs check the keys' slots
            }
            store.put(Recording.class, Recording.start(url));
        }
    }

    @Override
    public void afterAll(ExtensionContext context) throws Exception {
        Recording recording = context.getStore(NAMESPACE).remove(Recording.class, Recording.class);
        if (recording == null) {
            return;
        }
        List<String> violations = recording.stopAndCheck();
        if (!violations.isEmpty()) {
            throw new AssertionError(violations.size() + " Redis calls of " + context.getDisplayName()
                    + " name keys of more than one slot (Redis Cluster would refuse them):\n"
                    + String.join("\n", violations.subList(0, Math.min(20, violations.size()))));
        }
    }

    /** One MONITOR connection and what it saw. */
    static final class Recording {
        private final String url;
        private final Jedis monitor;
        private final List<String> lines = new CopyOnWriteArrayList<>();
        private final Thread reader;
        private final boolean scriptLineFirst;

        private Recording(String url) throws InterruptedException {
            this.url = url;
            this.monitor = new Jedis(URI.create(url));
            this.reader = new Thread(() -> {
                try {
                    monitor.monitor(new JedisMonitor() {
                        @Override
                        public void onCommand(String command) {
                            if (mayNameSeveralKeys(command)) {
                                lines.add(command);
                            }
                        }
                    });
                } catch (RuntimeException closed) {
                    // stopAndCheck ends the monitor by closing its connection
                }
            }, "one-slot-check");
            reader.setDaemon(true);
            reader.start();
            // Where Redis puts a script's own line: before the commands it runs (Redis 6) or after them (7).
            try (Jedis probe = new Jedis(URI.create(url))) {
                long waited = 0;
                boolean seen = false;
                while (!seen && waited < 5000) {
                    probe.eval("return redis.call('EXISTS', KEYS[1])", List.of("one-slot-check:probe"), List.of());
                    Thread.sleep(50);
                    waited += 50;
                    seen = lines.stream().anyMatch(line -> line.contains("one-slot-check:probe"));
                }
                Thread.sleep(100);
                List<String> probeLines = lines.stream().filter(line -> line.contains("one-slot-check:probe")).toList();
                this.scriptLineFirst = probeLines.size() >= 2 && !isInsideScript(probeLines.get(0));
            }
        }

        static Recording start(String url) throws InterruptedException {
            return new Recording(url);
        }

        List<String> stopAndCheck() throws InterruptedException {
            Thread.sleep(200); // the last lines are on their way
            monitor.close();
            reader.join(2000);
            List<List<String>> calls = calls(lines.stream()
                    .filter(line -> !line.contains("one-slot-check:probe")).toList());
            List<String> violations = new ArrayList<>();
            try (Jedis keys = new Jedis(URI.create(url))) {
                for (List<String> call : calls) {
                    Set<String> named = new LinkedHashSet<>();
                    for (String line : call) {
                        named.addAll(keysOf(keys, arguments(line)));
                    }
                    Set<Integer> slots = new TreeSet<>();
                    named.forEach(key -> slots.add(JedisClusterCRC16.getSlot(key)));
                    if (slots.size() > 1) {
                        violations.add(slots + " " + String.join(" | ", call.stream()
                                .map(line -> line.length() > 300 ? line.substring(0, 300) + "…" : line).toList()));
                    }
                }
            }
            return violations;
        }

        /** Lines grouped by client call: a script's own line with the commands it ran. */
        private List<List<String>> calls(List<String> all) {
            List<List<String>> calls = new ArrayList<>();
            List<String> inside = new ArrayList<>();
            for (String line : all) {
                if (isInsideScript(line)) {
                    if (scriptLineFirst && !calls.isEmpty()) {
                        calls.get(calls.size() - 1).add(line);
                    } else {
                        inside.add(line);
                    }
                    continue;
                }
                List<String> call = new ArrayList<>();
                call.add(line);
                if (!scriptLineFirst) {
                    call.addAll(inside);
                    inside.clear();
                }
                calls.add(call);
            }
            return calls;
        }

        private static boolean isInsideScript(String line) {
            return line.matches("^\\S+ \\[\\d+ lua\\].*");
        }
    }

    /** Client commands that can name more than one key (the others, one key at most, cannot break the rule). */
    private static final Set<String> MULTI_KEY = Set.of("EVAL", "EVALSHA", "EVAL_RO", "EVALSHA_RO", "FCALL",
            "FCALL_RO", "DEL", "UNLINK", "EXISTS", "TOUCH", "MGET", "MSET", "MSETNX", "RENAME", "RENAMENX", "COPY",
            "SMOVE", "SUNION", "SUNIONSTORE", "SINTER", "SINTERSTORE", "SINTERCARD", "SDIFF", "SDIFFSTORE",
            "ZUNION", "ZUNIONSTORE", "ZINTER", "ZINTERSTORE", "ZINTERCARD", "ZDIFF", "ZDIFFSTORE", "ZRANGESTORE",
            "LMOVE", "BLMOVE", "RPOPLPUSH", "BRPOPLPUSH", "LMPOP", "BLMPOP", "ZMPOP", "BZMPOP", "BLPOP", "BRPOP",
            "BZPOPMIN", "BZPOPMAX", "PFCOUNT", "PFMERGE", "WATCH", "SORT", "GEORADIUS", "GEOSEARCHSTORE", "XREAD",
            "XREADGROUP", "OBJECT", "MIGRATE", "BITOP");

    /** Lines worth keeping: what a script runs, and client commands that can name several keys. */
    private static boolean mayNameSeveralKeys(String line) {
        if (Recording.isInsideScript(line)) {
            return true;
        }
        int open = line.indexOf("] \"");
        int close = open < 0 ? -1 : line.indexOf('"', open + 3);
        return close > 0 && MULTI_KEY.contains(line.substring(open + 3, close).toUpperCase(java.util.Locale.ROOT));
    }

    private static final Set<String> KEYLESS = Set.of("PING", "TIME", "INFO", "SELECT", "AUTH", "HELLO", "CLIENT",
            "SCRIPT", "PUBLISH", "SUBSCRIBE", "PSUBSCRIBE", "UNSUBSCRIBE", "PUNSUBSCRIBE", "MONITOR", "DEBUG",
            "FLUSHDB", "FLUSHALL", "COMMAND", "CONFIG", "DBSIZE", "SCAN", "QUIT", "RESET", "ECHO", "READONLY");

    /** The keys a command names, as Redis itself finds them. */
    private static List<String> keysOf(Jedis server, List<String> arguments) {
        if (arguments.isEmpty() || KEYLESS.contains(arguments.get(0).toUpperCase(java.util.Locale.ROOT))) {
            return List.of();
        }
        List<String> request = new ArrayList<>();
        request.add("GETKEYS");
        request.addAll(arguments);
        try {
            Object answer = server.sendCommand(Protocol.Command.COMMAND,
                    request.toArray(String[]::new));
            List<String> keys = new ArrayList<>();
            for (Object key : (List<?>) answer) {
                keys.add(new String((byte[]) key, java.nio.charset.StandardCharsets.UTF_8));
            }
            return keys;
        } catch (JedisDataException noKeys) {
            return List.of();
        }
    }

    /** A MONITOR line's command and arguments, unquoted (Redis writes bytes outside printable ASCII as \\xNN). */
    static List<String> arguments(String line) {
        List<String> arguments = new ArrayList<>();
        int i = line.indexOf(']');
        while (i >= 0 && i < line.length()) {
            int open = line.indexOf('"', i + 1);
            if (open < 0) {
                break;
            }
            java.io.ByteArrayOutputStream argument = new java.io.ByteArrayOutputStream();
            int j = open + 1;
            while (j < line.length() && line.charAt(j) != '"') {
                char c = line.charAt(j);
                if (c == '\\' && j + 1 < line.length()) {
                    char next = line.charAt(j + 1);
                    if (next == 'x' && j + 3 < line.length()) {
                        argument.write(Integer.parseInt(line.substring(j + 2, j + 4), 16));
                        j += 4;
                        continue;
                    }
                    argument.write(switch (next) {
                        case 'n' -> '\n';
                        case 'r' -> '\r';
                        case 't' -> '\t';
                        case 'a' -> 7;
                        case 'b' -> '\b';
                        default -> next;
                    });
                    j += 2;
                    continue;
                }
                byte[] bytes = String.valueOf(c).getBytes(java.nio.charset.StandardCharsets.UTF_8);
                argument.write(bytes, 0, bytes.length);
                j++;
            }
            arguments.add(argument.toString(java.nio.charset.StandardCharsets.UTF_8));
            i = j;
        }
        return arguments;
    }
}

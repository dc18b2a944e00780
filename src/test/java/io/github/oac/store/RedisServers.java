package io.github.oac.store;

import java.io.File;
import java.io.IOException;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;

import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLSocketFactory;
import javax.net.ssl.TrustManagerFactory;

import redis.clients.jedis.DefaultJedisClientConfig;
import redis.clients.jedis.HostAndPort;
import redis.clients.jedis.Jedis;

/**
 * Debian's redis-server and redis-sentinel (installed by .ci/run), started on loopback ports for tests that need
 * replicas and failovers: a primary, two replicas and three sentinels watching them as "oac" (quorum 2, a primary
 * unanswered for 1 s is down): after a failover one replica is left, so writes that wait for one still can. Nothing
 * is kept on disk but their logs; close() kills every process it started.
 */
public final class RedisServers implements AutoCloseable {

    public static final String MASTER = "oac";

    private final Path dir;
    private final List<Process> processes = new ArrayList<>();
    private Process primary;
    private int primaryPort;
    private final List<Integer> replicaPorts = new ArrayList<>();
    private final List<Process> replicas = new ArrayList<>();
    private final List<Integer> sentinelPorts = new ArrayList<>();

    /** Cluster: every node's port and process, and the command line each was started with (to restart one). */
    private final java.util.Map<Integer, Process> nodes = new java.util.LinkedHashMap<>();

    /** TLS on every connection and an ACL user, or null for plain connections and no password. */
    private final Security security;

    private RedisServers(Path dir, Security security) {
        this.dir = dir;
        this.security = security;
    }

    /**
     * TLS for every connection (clients, replication, the cluster bus, sentinels) with a certificate for 127.0.0.1 and
     * localhost from a certificate authority of the test's own (openssl), and the data nodes' default user off in
     * favour of an ACL user, as managed Redis runs. Sentinels take TLS, no password.
     */
    public record Security(Path caCertificate, Path certificate, Path key, String user, String password) {

        /** New certificates in dir, the server's for 127.0.0.1 and localhost. */
        public static Security create(Path dir) throws IOException, InterruptedException {
            return create(dir, "IP:127.0.0.1,DNS:localhost");
        }

        /** New certificates in dir, the server's for these names (openssl's subjectAltName). */
        public static Security create(Path dir, String names) throws IOException, InterruptedException {
            openssl(dir, "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2", "-subj", "/CN=oac test CA",
                    "-keyout", "ca.key", "-out", "ca.crt");
            openssl(dir, "req", "-newkey", "rsa:2048", "-nodes", "-subj", "/CN=localhost", "-keyout", "server.key",
                    "-out", "server.csr");
            Files.writeString(dir.resolve("server.ext"), "subjectAltName=" + names + "\n");
            openssl(dir, "x509", "-req", "-in", "server.csr", "-CA", "ca.crt", "-CAkey", "ca.key", "-CAcreateserial",
                    "-days", "2", "-extfile", "server.ext", "-out", "server.crt");
            return new Security(dir.resolve("ca.crt").toAbsolutePath(), dir.resolve("server.crt").toAbsolutePath(),
                    dir.resolve("server.key").toAbsolutePath(), "oac", "acl-" + System.nanoTime());
        }

        /** Sockets that trust the test's certificate authority. */
        SSLSocketFactory socketFactory() {
            try (java.io.InputStream in = Files.newInputStream(caCertificate)) {
                java.security.KeyStore trusted = java.security.KeyStore.getInstance(
                        java.security.KeyStore.getDefaultType());
                trusted.load(null, null);
                trusted.setCertificateEntry("ca",
                        java.security.cert.CertificateFactory.getInstance("X.509").generateCertificate(in));
                TrustManagerFactory trust = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
                trust.init(trusted);
                SSLContext context = SSLContext.getInstance("TLS");
                context.init(null, trust.getTrustManagers(), null);
                return context.getSocketFactory();
            } catch (IOException | java.security.GeneralSecurityException failed) {
                throw new IllegalStateException("cannot read " + caCertificate, failed);
            }
        }

        private static void openssl(Path dir, String... arguments) throws IOException, InterruptedException {
            List<String> command = new ArrayList<>(List.of("/usr/bin/openssl"));
            command.addAll(List.of(arguments));
            Process openssl = new ProcessBuilder(command).directory(dir.toFile()).redirectErrorStream(true)
                    .redirectOutput(ProcessBuilder.Redirect.appendTo(dir.resolve("openssl.log").toFile())).start();
            if (!openssl.waitFor(60, TimeUnit.SECONDS) || openssl.exitValue() != 0) {
                throw new IllegalStateException("openssl " + String.join(" ", arguments) + " failed: see " + dir);
            }
        }
    }

    /**
     * A Redis Cluster of three primaries with one replica each (redis-cli --cluster create), a node unanswered for
     * 1 s failing over to its replica.
     */
    public static RedisServers cluster(Path dir) throws Exception {
        return cluster(dir, null);
    }

    /** The same, with TLS and an ACL user (security), or plain (null). */
    public static RedisServers cluster(Path dir, Security security) throws Exception {
        RedisServers servers = new RedisServers(dir, security);
        try {
            List<String> addresses = new ArrayList<>();
            for (int i = 0; i < 6; i++) {
                int port = freeClusterPort();
                servers.nodes.put(port, servers.clusterNode(port));
                addresses.add("127.0.0.1:" + port);
            }
            List<String> create = new ArrayList<>(List.of("/usr/bin/redis-cli"));
            if (security != null) {
                create.addAll(List.of("--tls", "--cacert", security.caCertificate().toString(), "--user",
                        security.user(), "--pass", security.password()));
            }
            create.addAll(List.of("--cluster", "create"));
            create.addAll(addresses);
            create.addAll(List.of("--cluster-replicas", "1", "--cluster-yes"));
            Process creating = new ProcessBuilder(create).redirectErrorStream(true)
                    .redirectOutput(ProcessBuilder.Redirect.appendTo(dir.resolve("cluster-create.log").toFile())).start();
            if (!creating.waitFor(60, TimeUnit.SECONDS) || creating.exitValue() != 0) {
                throw new IllegalStateException("redis-cli --cluster create failed: see " + dir);
            }
            servers.awaitClusterOk(Duration.ofSeconds(30));
            return servers;
        } catch (Exception | Error failed) {
            servers.close();
            throw failed;
        }
    }

    /** host:port of every node, for spring.data.redis.cluster.nodes. */
    public String clusterNodes() {
        return String.join(",", nodes.keySet().stream().map(port -> "127.0.0.1:" + port).toList());
    }

    /** The port of the primary serving this key's slot now. */
    public int primaryOf(String key) {
        return primaryOf(key, -1);
    }

    /** The same, as a node other than askingNot sees it (a node just started again may not know yet). */
    public int primaryOf(String key, int askingNot) {
        for (int port : nodes.keySet()) {
            if (port == askingNot) {
                continue;
            }
            try (Jedis jedis = jedis(port)) {
                long slot = jedis.clusterKeySlot(key);
                for (String line : jedis.clusterNodes().split("\n")) {
                    String[] fields = line.split(" ");
                    List<String> flags = List.of(fields.length > 2 ? fields[2].split(",") : new String[0]);
                    if (fields.length > 8 && flags.contains("master") && !flags.contains("fail")) {
                        for (int i = 8; i < fields.length; i++) {
                            String[] range = fields[i].split("-");
                            long from = Long.parseLong(range[0]);
                            long to = range.length > 1 ? Long.parseLong(range[1]) : from;
                            if (slot >= from && slot <= to) {
                                return Integer.parseInt(fields[1].substring(fields[1].indexOf(':') + 1,
                                        fields[1].indexOf('@')));
                            }
                        }
                    }
                }
                break;
            } catch (RuntimeException notThisOne) {
                // a node that is down: ask the next
            }
        }
        throw new IllegalStateException("no primary serves " + key);
    }

    /** kill -9 of one cluster node. */
    public void killNode(int port) throws InterruptedException {
        Process node = nodes.get(port);
        node.destroyForcibly();
        node.waitFor(10, TimeUnit.SECONDS);
    }

    /** Starts a killed node again on its port and its nodes file: it rejoins as a replica of its successor. */
    public void restartNode(int port) throws IOException {
        nodes.put(port, clusterNode(port));
    }

    /** Waits until every live node sees the cluster whole (every slot served). */
    public void awaitClusterOk(Duration timeout) throws Exception {
        await(timeout, () -> nodes.entrySet().stream().filter(node -> node.getValue().isAlive())
                .allMatch(node -> {
                    try {
                        return info(node.getKey(), "cluster").contains("cluster_enabled:1")
                                && clusterInfo(node.getKey()).contains("cluster_state:ok");
                    } catch (RuntimeException notYet) {
                        return false;
                    }
                }));
    }

    /** No replica of the Cluster takes over a failed primary (cluster-replica-no-failover), every node answering. */
    public void forbidClusterFailovers() {
        for (int port : nodes.keySet()) {
            try (Jedis jedis = jedis(port)) {
                jedis.configSet("cluster-replica-no-failover", "yes");
            }
        }
    }

    /**
     * SIGSTOP to the primary serving this key's slot until its replica took over; then SIGCONT: it rejoins as its
     * successor's replica (waited for, with the cluster whole again).
     */
    public void cutOffPrimaryOf(String key, Duration timeout) throws Exception {
        int cutOff = primaryOf(key);
        cutOff(nodes.get(cutOff), cutOff, () -> primaryOf(key, cutOff) != cutOff, timeout);
        awaitClusterOk(timeout);
    }

    /** SIGSTOP (true) or SIGCONT (false) to every cluster node that is a replica now. */
    public void pauseClusterReplicas(boolean paused) throws Exception {
        for (java.util.Map.Entry<Integer, Process> node : nodes.entrySet()) {
            if (!node.getValue().isAlive()) {
                continue;
            }
            boolean replica;
            if (paused) {
                try (Jedis jedis = jedis(node.getKey())) {
                    replica = jedis.info("replication").contains("role:slave");
                }
            } else {
                replica = true; // SIGCONT to a running process changes nothing
            }
            if (replica) {
                signal(node.getValue(), paused ? "-STOP" : "-CONT");
            }
        }
    }

    private Process clusterNode(int port) throws IOException {
        return server("node-" + port, port, "--cluster-enabled", "yes", "--cluster-config-file",
                "nodes-" + port + ".conf", "--cluster-node-timeout", "1000");
    }

    private String clusterInfo(int port) {
        try (Jedis jedis = jedis(port)) {
            return jedis.clusterInfo();
        }
    }

    private static void signal(Process process, String signal) throws Exception {
        Process kill = new ProcessBuilder("kill", signal, Long.toString(process.pid())).inheritIO().start();
        if (!kill.waitFor(10, TimeUnit.SECONDS) || kill.exitValue() != 0) {
            throw new IllegalStateException("could not signal " + process.pid());
        }
    }

    /** Whether Debian's packages are on this machine (.ci/run installs them). */
    public static boolean installed() {
        return Files.isExecutable(Path.of("/usr/bin/redis-server")) && Files.isExecutable(Path.of("/usr/bin/redis-sentinel"));
    }

    /** A primary, one replica in sync with it, and three sentinels that see both and each other. */
    public static RedisServers sentinel(Path dir) throws Exception {
        return sentinel(dir, null);
    }

    /** The same, with TLS and an ACL user (security), or plain (null). */
    public static RedisServers sentinel(Path dir, Security security) throws Exception {
        RedisServers servers = new RedisServers(dir, security);
        try {
            servers.primaryPort = freePort();
            servers.primary = servers.server("primary", servers.primaryPort);
            for (int i = 0; i < 2; i++) {
                int port = freePort();
                servers.replicaPorts.add(port);
                servers.replicas.add(servers.server("replica-" + port, port, "--replicaof", "127.0.0.1",
                        Integer.toString(servers.primaryPort)));
            }
            servers.await(Duration.ofSeconds(20), () -> servers.replicaPorts.stream().allMatch(port ->
                    servers.info(port, "replication").contains("master_link_status:up")));
            for (int i = 0; i < 3; i++) {
                int port = freePort();
                Path config = dir.resolve("sentinel-" + port + ".conf");
                List<String> lines = new ArrayList<>(List.of(
                        "bind 127.0.0.1",
                        "dir " + dir.toAbsolutePath(),
                        "sentinel monitor " + MASTER + " 127.0.0.1 " + servers.primaryPort + " 2",
                        "sentinel down-after-milliseconds " + MASTER + " 1000",
                        "sentinel failover-timeout " + MASTER + " 5000",
                        "sentinel parallel-syncs " + MASTER + " 1"));
                if (security == null) {
                    lines.add(0, "port " + port);
                } else {
                    lines.addAll(0, List.of("port 0", "tls-port " + port, "tls-cert-file " + security.certificate(),
                            "tls-key-file " + security.key(), "tls-ca-cert-file " + security.caCertificate(),
                            "tls-auth-clients no", "tls-replication yes"));
                    lines.addAll(List.of("sentinel auth-user " + MASTER + " " + security.user(),
                            "sentinel auth-pass " + MASTER + " " + security.password()));
                }
                lines.add("");
                Files.writeString(config, String.join("\n", lines));
                servers.start("sentinel-" + port, "/usr/bin/redis-sentinel", config.toAbsolutePath().toString());
                servers.sentinelPorts.add(port);
            }
            // ready once every sentinel knows the replica and the two other sentinels: a failover then finds both
            servers.await(Duration.ofSeconds(30), () -> servers.sentinelPorts.stream().allMatch(port -> {
                String state = servers.sentinelInfo(port);
                return state.contains("slaves=2") && state.contains("sentinels=3");
            }));
            return servers;
        } catch (Exception | Error failed) {
            servers.close();
            throw failed;
        }
    }

    /** host:port of each sentinel, for spring.data.redis.sentinel.nodes. */
    public String sentinelNodes() {
        return String.join(",", sentinelPorts.stream().map(port -> "127.0.0.1:" + port).toList());
    }

    public int primaryPort() {
        return primaryPort;
    }

    public List<Integer> replicaPorts() {
        return List.copyOf(replicaPorts);
    }

    /**
     * SIGSTOP (true) or SIGCONT (false) to every replica of the current primary: connected, but confirming nothing
     * while stopped.
     */
    public void pauseReplicas(boolean paused) throws Exception {
        int current = currentPrimaryPort();
        List<Integer> ports = new ArrayList<>(replicaPorts);
        ports.add(primaryPort); // the first primary, a replica itself once another took over
        for (int port : ports) {
            if (port != current && process(port).isAlive()) {
                signal(process(port), paused ? "-STOP" : "-CONT");
            }
        }
    }

    /** The port the sentinels name as the primary now. */
    public int currentPrimaryPort() {
        try (Jedis sentinel = sentinel(sentinelPorts.get(0))) {
            return Integer.parseInt(sentinel.sentinelGetMasterAddrByName(MASTER).get(1));
        }
    }

    /** kill -9 of the primary the sentinels name now: what it had not yet sent a replica is gone with it. */
    public void killPrimary() throws InterruptedException {
        Process current = process(currentPrimaryPort());
        current.destroyForcibly();
        current.waitFor(10, TimeUnit.SECONDS);
    }

    /**
     * SIGSTOP to the primary the sentinels name now, until they promoted a replica; then SIGCONT: it comes back
     * believing it is the primary, and is made a replica of its successor (waited for).
     */
    public void cutOffPrimary(Duration timeout) throws Exception {
        int cutOff = currentPrimaryPort();
        cutOff(process(cutOff), cutOff, () -> {
            int current = currentPrimaryPort();
            return current != cutOff && info(current, "replication").contains("role:master");
        }, timeout);
    }

    /** SIGSTOP until replaced holds, then SIGCONT, and waits until the node is a replica. */
    private void cutOff(Process process, int port, BooleanSupplier replaced, Duration timeout) throws Exception {
        signal(process, "-STOP");
        try {
            await(timeout, () -> {
                try {
                    return replaced.getAsBoolean();
                } catch (RuntimeException notYet) {
                    return false;
                }
            });
        } finally {
            signal(process, "-CONT");
        }
        await(timeout, () -> {
            try {
                return info(port, "replication").contains("role:slave");
            } catch (RuntimeException notYet) {
                return false;
            }
        });
    }

    private Process process(int port) {
        if (port == primaryPort) {
            return primary;
        }
        return replicas.get(replicaPorts.indexOf(port));
    }

    /** Waits until the sentinels promoted a replica and it accepts writes. */
    public void awaitFailover(Duration timeout) throws Exception {
        await(timeout, () -> {
            try {
                int current = currentPrimaryPort();
                return replicaPorts.contains(current) && info(current, "replication").contains("role:master");
            } catch (RuntimeException notYet) {
                return false;
            }
        });
    }

    @Override
    public void close() {
        List<Process> all = new ArrayList<>(processes);
        all.addAll(nodes.values());
        for (Process process : all) {
            process.destroyForcibly();
        }
        for (Process process : all) {
            try {
                process.waitFor(10, TimeUnit.SECONDS);
            } catch (InterruptedException interrupted) {
                Thread.currentThread().interrupt();
            }
        }
    }

    private Process server(String name, int port, String... more) throws IOException {
        List<String> command = new ArrayList<>(List.of("/usr/bin/redis-server", "--bind", "127.0.0.1", "--save", "",
                "--appendonly", "no", "--dir", dir.toAbsolutePath().toString()));
        if (security == null) {
            command.addAll(List.of("--port", Integer.toString(port)));
        } else {
            command.addAll(List.of("--port", "0", "--tls-port", Integer.toString(port), "--tls-cert-file",
                    security.certificate().toString(), "--tls-key-file", security.key().toString(),
                    "--tls-ca-cert-file", security.caCertificate().toString(), "--tls-auth-clients", "no",
                    "--tls-replication", "yes", "--tls-cluster", "yes", "--user", "default", "off", "--user",
                    security.user(), "on", ">" + security.password(), "~*", "&*", "+@all", "--masteruser",
                    security.user(), "--masterauth", security.password()));
        }
        command.addAll(List.of(more));
        Process process = start(name, command.toArray(String[]::new));
        awaitQuietly(() -> ping(port));
        return process;
    }

    private Process start(String name, String... command) throws IOException {
        File log = dir.resolve(name + ".log").toFile();
        Process process = new ProcessBuilder(command).redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.appendTo(log)).start();
        processes.add(process);
        return process;
    }

    private boolean ping(int port) {
        try (Jedis jedis = jedis(port)) {
            return "PONG".equals(jedis.ping());
        } catch (RuntimeException notYet) {
            return false;
        }
    }

    private String info(int port, String section) {
        try (Jedis jedis = jedis(port)) {
            return jedis.info(section);
        }
    }

    private String sentinelInfo(int port) {
        try (Jedis jedis = sentinel(port)) {
            return jedis.info("sentinel");
        } catch (RuntimeException notYet) {
            return "";
        }
    }

    private void awaitQuietly(BooleanSupplier condition) {
        try {
            await(Duration.ofSeconds(20), condition);
        } catch (Exception failed) {
            throw new IllegalStateException("a Redis process did not start: see " + dir, failed);
        }
    }

    private void await(Duration timeout, BooleanSupplier condition) throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                throw new IllegalStateException("not ready within " + timeout + ": see the logs in " + dir);
            }
            Thread.sleep(100); // polling with a deadline
        }
    }

    /** A connection to a data node: TLS and the ACL user when secured. */
    private Jedis jedis(int port) {
        if (security == null) {
            return new Jedis("127.0.0.1", port);
        }
        return new Jedis(new HostAndPort("127.0.0.1", port), DefaultJedisClientConfig.builder().ssl(true)
                .sslSocketFactory(security.socketFactory()).user(security.user()).password(security.password())
                .build());
    }

    /** A connection to a sentinel: TLS, no password, when secured. */
    private Jedis sentinel(int port) {
        if (security == null) {
            return new Jedis("127.0.0.1", port);
        }
        return new Jedis(new HostAndPort("127.0.0.1", port), DefaultJedisClientConfig.builder().ssl(true)
                .sslSocketFactory(security.socketFactory()).build());
    }

    private static int freePort() throws IOException {
        try (ServerSocket socket = new ServerSocket(0)) {
            return socket.getLocalPort();
        }
    }

    /**
     * A port for a Cluster node, whose cluster bus listens on the port + 10000: both free, and both below Linux's
     * ephemeral range (32768 on), where any client socket may take the bus port between our check and the node's start
     * (a node failed to start so in a full run).
     */
    private static int freeClusterPort() throws IOException {
        for (int attempt = 0; attempt < 200; attempt++) {
            int port = 20_000 + java.util.concurrent.ThreadLocalRandom.current().nextInt(2_700);
            try (ServerSocket node = new ServerSocket(port, 1, java.net.InetAddress.getLoopbackAddress());
                 ServerSocket bus = new ServerSocket(port + 10_000, 1, java.net.InetAddress.getLoopbackAddress())) {
                return node.getLocalPort();
            } catch (IOException taken) {
                // another one
            }
        }
        throw new IOException("no free port pair for a Cluster node between 20000 and 32767");
    }
}

// Conversations in flight on one instance (issue 9): N followers each ask one question at once while the model
// takes MODEL_DELAY_MS to answer; measures whether the service takes them all (no "busy" reply), its heap and RSS
// while they wait, and the time from the model's answer to the customer-service send.
// JDK-only single file (JDK 17+):
//
//   java bench/InFlight.java --service http://127.0.0.1:18080 --management http://127.0.0.1:18081 \
//        --token benchtoken --port 18090 --followers 2000 --model-delay-ms 2000 \
//        [--concurrency 64] [--pid N | --pid-file F] [--warmup 0] [--warmup-delay-ms 0] [--wait-health-s 180] \
//        [--quiet-s 30] [--deadline-s 900] [--settle-ms 1000] [--csv FILE] [--serve-only]
//
// On --port (loopback) it serves the fakes the service is pointed at:
//   POST /v1/chat/completions       after the model delay (a scheduler, no thread held per call) a chat.completion
//                                   whose content is "ANSWER t=<epoch ms when answered> q=<last user message, 40 chars>"
//   POST /cgi-bin/stable_token      {"access_token":"BENCH_TOKEN","expires_in":7200}
//   POST /cgi-bin/message/custom/send    {"errcode":0,"errmsg":"ok"}; per touser: arrival, and now - t as the
//                                   "model answer -> WeChat send" sample
//   POST /cgi-bin/message/custom/typing  {"errcode":0,"errmsg":"ok"}
// Then (unless --serve-only) it waits for SERVICE/actuator/health, runs an optional warm-up (--warmup followers,
// model at --warmup-delay-ms), and the measured run: one signed plaintext text callback per follower
// ("oinf<run><i>"), at most --concurrency at once, as fast as it can; every 500 ms it samples the model calls
// waiting at the fake, the service's heap (management metrics) and RSS (/proc/PID/status). It stops when every
// follower got a send, nothing moved for --quiet-s, or --deadline-s passed, and prints a markdown table.
// Always exits 0.

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.PrintWriter;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

public class InFlight {

    static final byte[] OK = "{\"errcode\":0,\"errmsg\":\"ok\"}".getBytes(StandardCharsets.UTF_8);
    static final byte[] TOKEN = "{\"access_token\":\"BENCH_TOKEN\",\"expires_in\":7200}".getBytes(StandardCharsets.UTF_8);
    static final Pattern ANSWER_T = Pattern.compile("ANSWER t=(\\d+)");
    static final Pattern QUESTION = Pattern.compile("inflight ([0-9a-f]+) #(\\d+)");

    // ---- the fakes' state (shared by all runs) ----
    static volatile long modelDelayMs;
    static final Map<String, Run> runs = new ConcurrentHashMap<>();
    static final AtomicInteger modelWaiting = new AtomicInteger();
    static final AtomicInteger modelWaitingPeak = new AtomicInteger();
    static final AtomicLong lastActivityMs = new AtomicLong(System.currentTimeMillis());
    static final LongAdder tokenCalls = new LongAdder();
    static final LongAdder typingCalls = new LongAdder();
    static final LongAdder strayModelCalls = new LongAdder();
    static final LongAdder straySends = new LongAdder();
    static final LongAdder notFound = new LongAdder();
    static final AtomicLong completionIds = new AtomicLong();
    static ScheduledExecutorService timer;

    /** One batch of followers (the warm-up or the measured run). */
    static final class Run {
        final String tag;                  // 6 hex digits, in openids, questions and MsgIds
        final int n;
        final String[] openids;
        final Map<String, Integer> index = new HashMap<>();
        final AtomicInteger[] sends;
        final long[] callbackSentMs;
        final long[] firstSendMs;
        final int[] status;
        final String[] body;
        final long[] callbackNanos;
        final ConcurrentLinkedQueue<Long> answerToSend = new ConcurrentLinkedQueue<>();
        final LongAdder modelCalls = new LongAdder();
        final Set<Integer> questionsAsked = ConcurrentHashMap.newKeySet();
        final LongAdder sendsTotal = new LongAdder();
        final LongAdder sendsNotAnswer = new LongAdder(); // apology or other text without "ANSWER t="
        final AtomicInteger answered = new AtomicInteger();
        final AtomicInteger callbacksDone = new AtomicInteger();

        Run(String tag, int n) {
            this.tag = tag;
            this.n = n;
            openids = new String[n];
            sends = new AtomicInteger[n];
            callbackSentMs = new long[n];
            firstSendMs = new long[n];
            status = new int[n];
            body = new String[n];
            callbackNanos = new long[n];
            for (int i = 0; i < n; i++) {
                openids[i] = String.format(Locale.ROOT, "oinf%s%06d", tag, i);
                index.put(openids[i], i);
                sends[i] = new AtomicInteger();
            }
        }
    }

    public static void main(String[] args) {
        try {
            run(args);
        } catch (Throwable t) {
            System.err.println("InFlight failed: " + t);
            t.printStackTrace();
        }
        System.exit(0);
    }

    static void run(String[] args) throws Exception {
        Map<String, String> o = options(args);
        String service = o.getOrDefault("service", "http://127.0.0.1:18080");
        String management = o.getOrDefault("management", "http://127.0.0.1:18081");
        String token = o.getOrDefault("token", "benchtoken");
        int port = Integer.parseInt(o.getOrDefault("port", "18090"));
        int followers = Integer.parseInt(o.getOrDefault("followers", "2000"));
        long delay = Long.parseLong(o.getOrDefault("model-delay-ms", "2000"));
        int concurrency = Integer.parseInt(o.getOrDefault("concurrency", "64"));
        int warmup = Integer.parseInt(o.getOrDefault("warmup", "0"));
        long warmupDelay = Long.parseLong(o.getOrDefault("warmup-delay-ms", "0"));
        long waitHealthS = Long.parseLong(o.getOrDefault("wait-health-s", "180"));
        long quietS = Long.parseLong(o.getOrDefault("quiet-s", "30"));
        long deadlineS = Long.parseLong(o.getOrDefault("deadline-s", "900"));
        long settleMs = Long.parseLong(o.getOrDefault("settle-ms", "1000"));
        String pid = o.get("pid");
        String pidFile = o.get("pid-file");
        String csv = o.get("csv");

        startFakes(port);
        System.err.println("InFlight: fake model + WeChat API on 127.0.0.1:" + port);
        if (o.containsKey("serve-only")) {
            modelDelayMs = delay;
            System.err.println("InFlight: --serve-only, model delay " + delay + " ms; Ctrl-C to stop");
            Thread.currentThread().join();
        }

        HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
                .connectTimeout(Duration.ofSeconds(5)).build();
        if (!waitHealthy(http, service, waitHealthS)) {
            System.err.println("InFlight: " + service + "/actuator/health not 200 within " + waitHealthS + " s; giving up");
            return;
        }
        Random random = new Random();
        if (warmup > 0) {
            Run w = new Run(String.format(Locale.ROOT, "%06x", random.nextInt(1 << 24)), warmup);
            Result r = drive(http, w, service, management, token, warmupDelay, concurrency, pid, pidFile, null,
                    quietS, deadlineS, settleMs);
            System.err.printf(Locale.ROOT, "InFlight: warm-up %d followers, model %d ms: answered %d, non-success %d, %.1f s%n",
                    warmup, warmupDelay, r.run.answered.get(), r.nonSuccess(), r.wallMs / 1000.0);
        }
        String tag;
        do {
            tag = String.format(Locale.ROOT, "%06x", random.nextInt(1 << 24));
        } while (runs.containsKey(tag));
        modelWaitingPeak.set(modelWaiting.get());
        Run m = new Run(tag, followers);
        Result r = drive(http, m, service, management, token, delay, concurrency, pid, pidFile, csv,
                quietS, deadlineS, settleMs);
        report(r, delay, concurrency);
    }

    // ------------------------------------------------------------------------------------------------ the fakes

    static void startFakes(int port) throws IOException {
        // Without TCP_NODELAY the JDK server's split header/body writes meet delayed ACKs (~40 ms each).
        System.setProperty("sun.net.httpserver.nodelay", "true");
        // Thousands of keep-alive connections wait on slow model calls: keep them rather than closing beyond 200.
        System.setProperty("sun.net.httpserver.maxIdleConnections", "20000");
        HttpServer server = HttpServer.create(new InetSocketAddress("127.0.0.1", port), 4096);
        server.createContext("/", InFlight::handle);
        server.setExecutor(handlerExecutor());
        timer = Executors.newScheduledThreadPool(2, daemon("inflight-model-timer"));
        server.start();
    }

    /** Virtual threads on JDK 21+ (looked up reflectively so the file still runs on 17), else a cached pool. */
    static ExecutorService handlerExecutor() {
        try {
            return (ExecutorService) Executors.class.getMethod("newVirtualThreadPerTaskExecutor").invoke(null);
        } catch (ReflectiveOperationException e) {
            return Executors.newCachedThreadPool(daemon("inflight-http"));
        }
    }

    static void handle(HttpExchange ex) throws IOException {
        long arrivedMs = System.currentTimeMillis();
        try {
            byte[] in;
            try (InputStream body = ex.getRequestBody()) {
                in = body.readAllBytes();
            }
            String path = ex.getRequestURI().getPath();
            switch (path) {
                case "/v1/chat/completions" -> completion(ex, new String(in, StandardCharsets.UTF_8));
                case "/cgi-bin/stable_token", "/cgi-bin/token" -> {
                    tokenCalls.increment();
                    reply(ex, 200, TOKEN);
                }
                case "/cgi-bin/message/custom/send" -> {
                    customSend(new String(in, StandardCharsets.UTF_8), arrivedMs);
                    reply(ex, 200, OK);
                }
                case "/cgi-bin/message/custom/typing" -> {
                    typingCalls.increment();
                    reply(ex, 200, OK);
                }
                default -> {
                    notFound.increment();
                    reply(ex, 404, "{\"errcode\":404,\"errmsg\":\"no such api\"}".getBytes(StandardCharsets.UTF_8));
                }
            }
        } catch (RuntimeException e) {
            reply(ex, 500, ("{\"error\":\"" + esc(String.valueOf(e)) + "\"}").getBytes(StandardCharsets.UTF_8));
        }
    }

    static void completion(HttpExchange ex, String request) {
        lastActivityMs.set(System.currentTimeMillis());
        String question = lastUserMessage(request);
        Matcher q = QUESTION.matcher(question);
        Run run = q.find() ? runs.get(q.group(1)) : null;
        if (run != null) {
            run.modelCalls.increment();
            run.questionsAsked.add(Integer.parseInt(q.group(2)));
        } else {
            strayModelCalls.increment();
        }
        String shortQ = question.length() > 40 ? question.substring(0, 40) : question;
        int waiting = modelWaiting.incrementAndGet();
        modelWaitingPeak.accumulateAndGet(waiting, Math::max);
        Runnable answer = () -> {
            modelWaiting.decrementAndGet();
            long now = System.currentTimeMillis();
            String json = "{\"id\":\"chatcmpl-inflight-" + completionIds.incrementAndGet()
                    + "\",\"object\":\"chat.completion\",\"created\":" + now / 1000
                    + ",\"model\":\"bench-model\",\"choices\":[{\"index\":0,\"message\":{\"role\":\"assistant\","
                    + "\"content\":\"" + esc("ANSWER t=" + now + " q=" + shortQ) + "\"},\"finish_reason\":\"stop\"}],"
                    + "\"usage\":{\"prompt_tokens\":" + (request.length() / 4 + 1)
                    + ",\"completion_tokens\":16,\"total_tokens\":" + (request.length() / 4 + 17) + "}}";
            try {
                reply(ex, 200, json.getBytes(StandardCharsets.UTF_8));
            } catch (IOException e) {
                ex.close(); // the service gave up on this call
            }
        };
        long delay = modelDelayMs;
        if (delay <= 0) {
            answer.run();
        } else {
            timer.schedule(answer, delay, TimeUnit.MILLISECONDS);
        }
    }

    static void customSend(String request, long arrivedMs) {
        lastActivityMs.set(arrivedMs);
        Object parsed = Json.parse(request);
        String touser = (String) Json.at(parsed, "touser");
        Object content = Json.at(parsed, "text", "content");
        Run run = touser != null && touser.length() > 10 ? runs.get(touser.substring(4, 10)) : null;
        Integer i = run == null ? null : run.index.get(touser);
        if (i == null) {
            straySends.increment();
            return;
        }
        run.sendsTotal.increment();
        Matcher t = ANSWER_T.matcher(content instanceof String s ? s : "");
        if (t.find()) {
            run.answerToSend.add(arrivedMs - Long.parseLong(t.group(1)));
        } else {
            run.sendsNotAnswer.increment();
        }
        if (run.sends[i].incrementAndGet() == 1) {
            run.firstSendMs[i] = arrivedMs;
            run.answered.incrementAndGet();
        }
    }

    static void reply(HttpExchange ex, int status, byte[] bytes) throws IOException {
        ex.getResponseHeaders().set("Content-Type", "application/json; charset=utf-8");
        ex.sendResponseHeaders(status, bytes.length);
        try (OutputStream out = ex.getResponseBody()) {
            out.write(bytes);
        }
    }

    /** Content of the last element of "messages" whose role is "user", or "". */
    static String lastUserMessage(String request) {
        try {
            Object messages = Json.at(Json.parse(request), "messages");
            String last = "";
            if (messages instanceof List<?> list) {
                for (Object m : list) {
                    if ("user".equals(Json.at(m, "role")) && Json.at(m, "content") instanceof String s) {
                        last = s;
                    }
                }
            }
            return last;
        } catch (RuntimeException e) {
            return "";
        }
    }

    // ------------------------------------------------------------------------------------------------ the driver

    static final class Sample {
        final long atMs;
        final int modelWaiting;
        final double heapMiB;
        final double rssMiB;
        final int callbacks;
        final int answered;

        Sample(long atMs, int modelWaiting, double heapMiB, double rssMiB, int callbacks, int answered) {
            this.atMs = atMs;
            this.modelWaiting = modelWaiting;
            this.heapMiB = heapMiB;
            this.rssMiB = rssMiB;
            this.callbacks = callbacks;
            this.answered = answered;
        }
    }

    static final class Result {
        Run run;
        long wallMs;
        long callbackPhaseMs;
        String endedBy;
        List<Sample> samples = new ArrayList<>();
        int peakModelWaiting;

        long nonSuccess() {
            return Arrays.stream(run.body).filter(b -> !"success".equals(b)).count();
        }
    }

    static Result drive(HttpClient http, Run run, String service, String management, String token, long delay,
                        int concurrency, String pid, String pidFile, String csv, long quietS, long deadlineS,
                        long settleMs) throws Exception {
        runs.put(run.tag, run);
        modelDelayMs = delay;
        Result result = new Result();
        result.run = run;
        long start = System.currentTimeMillis();
        long deadline = start + deadlineS * 1000;
        lastActivityMs.set(start);
        AtomicInteger next = new AtomicInteger();
        long msgIdBase = 7_300_000_000_000_000_000L + Long.parseLong(run.tag, 16) * 1_000_000L;
        List<Thread> workers = new ArrayList<>();
        for (int w = 0; w < concurrency; w++) {
            Thread t = new Thread(() -> {
                for (int i; (i = next.getAndIncrement()) < run.n; ) {
                    callback(http, run, i, service, token, msgIdBase + i);
                }
            }, "inflight-client-" + w);
            t.setDaemon(true);
            t.start();
            workers.add(t);
        }

        HttpClient metricsHttp = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
                .connectTimeout(Duration.ofSeconds(2)).build();
        PrintWriter out = csv == null ? null : new PrintWriter(Files.newBufferedWriter(Path.of(csv)));
        if (out != null) {
            out.println("elapsed_ms,model_waiting,heap_mib,rss_mib,callbacks_done,answered");
        }
        long lastPrint = 0;
        boolean callbacksFinished = false;
        long allAnsweredAt = 0;
        while (true) {
            long now = System.currentTimeMillis();
            if (!callbacksFinished && run.callbacksDone.get() == run.n) {
                callbacksFinished = true;
                result.callbackPhaseMs = Math.max(1, lastCallbackMs.get() - start);
            }
            Sample s = new Sample(now - start, modelWaiting.get(), heapMiB(metricsHttp, management),
                    rssMiB(pid, pidFile), run.callbacksDone.get(), run.answered.get());
            result.samples.add(s);
            if (out != null) {
                out.printf(Locale.ROOT, "%d,%d,%.1f,%.1f,%d,%d%n", s.atMs, s.modelWaiting, s.heapMiB, s.rssMiB,
                        s.callbacks, s.answered);
                out.flush();
            }
            if (now - lastPrint >= 5000) {
                lastPrint = now;
                System.err.printf(Locale.ROOT, "  %5.1fs callbacks %d/%d  model waiting %d  answered %d  heap %.0f MiB  rss %.0f MiB%n",
                        s.atMs / 1000.0, s.callbacks, run.n, s.modelWaiting, s.answered, s.heapMiB, s.rssMiB);
            }
            if (callbacksFinished && run.answered.get() >= run.n) {
                if (allAnsweredAt == 0) {
                    allAnsweredAt = now;
                    result.endedBy = "all answered";
                    result.wallMs = now - start;
                }
                if (now - allAnsweredAt >= settleMs) { // late duplicates still counted during the settle time
                    break;
                }
            } else if (now - Math.max(lastActivityMs.get(), lastCallbackMs.get()) > quietS * 1000 + delay) {
                result.endedBy = "nothing moved for " + quietS + " s";
                break;
            } else if (now > deadline) {
                result.endedBy = "deadline " + deadlineS + " s";
                break;
            }
            Thread.sleep(Math.max(1, 500 - (System.currentTimeMillis() - now)));
        }
        if (result.wallMs == 0) {
            result.wallMs = System.currentTimeMillis() - start;
        }
        if (!callbacksFinished) {
            result.callbackPhaseMs = -1;
        }
        if (out != null) {
            out.close();
        }
        result.peakModelWaiting = modelWaitingPeak.get();
        for (Thread t : workers) {
            t.join(15_000);
        }
        return result;
    }

    static final AtomicLong lastCallbackMs = new AtomicLong();

    static void callback(HttpClient http, Run run, int i, String service, String token, long msgId) {
        String ts = Long.toString(System.currentTimeMillis() / 1000);
        String nonce = Long.toString(Long.parseLong(run.tag, 16) * 1_000_000L + i); // unique: the replay guard keys on it
        String signature = sha1(sorted(token, ts, nonce));
        String xml = "<xml><ToUserName><![CDATA[gh_bench]]></ToUserName><FromUserName><![CDATA[" + run.openids[i]
                + "]]></FromUserName><CreateTime>" + ts + "</CreateTime><MsgType><![CDATA[text]]></MsgType>"
                + "<Content><![CDATA[inflight " + run.tag + " #" + i + "]]></Content><MsgId>" + msgId + "</MsgId></xml>";
        HttpRequest request = HttpRequest.newBuilder(URI.create(service + "/wechat?signature=" + signature
                        + "&timestamp=" + ts + "&nonce=" + nonce))
                .timeout(Duration.ofSeconds(10))
                .header("Content-Type", "text/xml")
                .POST(HttpRequest.BodyPublishers.ofString(xml, StandardCharsets.UTF_8)).build();
        run.callbackSentMs[i] = System.currentTimeMillis();
        long t0 = System.nanoTime();
        try {
            HttpResponse<String> r = http.send(request, HttpResponse.BodyHandlers.ofString(StandardCharsets.UTF_8));
            run.status[i] = r.statusCode();
            run.body[i] = r.statusCode() == 200 ? r.body() : "HTTP " + r.statusCode() + " " + r.body();
        } catch (Exception e) {
            run.status[i] = -1;
            run.body[i] = "EXCEPTION " + e.getClass().getSimpleName();
        }
        run.callbackNanos[i] = System.nanoTime() - t0;
        run.callbacksDone.incrementAndGet();
        lastCallbackMs.set(System.currentTimeMillis());
    }

    static double heapMiB(HttpClient http, String management) {
        try {
            HttpResponse<String> r = http.send(HttpRequest.newBuilder(
                            URI.create(management + "/actuator/metrics/jvm.memory.used?tag=area:heap"))
                    .timeout(Duration.ofSeconds(2)).GET().build(), HttpResponse.BodyHandlers.ofString());
            if (r.statusCode() != 200) {
                return -1;
            }
            Object v = Json.at(Json.parse(r.body()), "measurements", 0, "value");
            return v instanceof Number n ? n.doubleValue() / (1024 * 1024) : -1;
        } catch (Exception e) {
            return -1;
        }
    }

    static double rssMiB(String pid, String pidFile) {
        try {
            String p = pid;
            if (p == null && pidFile != null && Files.exists(Path.of(pidFile))) {
                p = Files.readString(Path.of(pidFile)).trim();
            }
            if (p == null || p.isEmpty()) {
                return -1;
            }
            for (String line : Files.readAllLines(Path.of("/proc/" + p + "/status"))) {
                if (line.startsWith("VmRSS:")) {
                    return Long.parseLong(line.replaceAll("[^0-9]", "")) / 1024.0;
                }
            }
        } catch (Exception e) {
            // the process is gone or not readable
        }
        return -1;
    }

    static boolean waitHealthy(HttpClient http, String service, long seconds) throws InterruptedException {
        long until = System.currentTimeMillis() + seconds * 1000;
        while (System.currentTimeMillis() < until) {
            try {
                HttpResponse<Void> r = http.send(HttpRequest.newBuilder(URI.create(service + "/actuator/health"))
                        .timeout(Duration.ofSeconds(2)).GET().build(), HttpResponse.BodyHandlers.discarding());
                if (r.statusCode() == 200) {
                    return true;
                }
            } catch (IOException e) {
                // not up yet
            }
            Thread.sleep(500);
        }
        return false;
    }

    // ------------------------------------------------------------------------------------------------ the report

    static void report(Result r, long delay, int concurrency) {
        Run run = r.run;
        long[] cb = Arrays.stream(run.callbackNanos).map(n -> n / 1000).sorted().toArray(); // microseconds
        Map<String, Integer> nonSuccess = new TreeMap<>();
        for (String b : run.body) {
            if (!"success".equals(b)) {
                nonSuccess.merge(label(b), 1, Integer::sum);
            }
        }
        long[] a2s = run.answerToSend.stream().mapToLong(Long::longValue).sorted().toArray();
        List<Long> e2eList = new ArrayList<>();
        int duplicates = 0;
        for (int i = 0; i < run.n; i++) {
            if (run.sends[i].get() > 0) {
                e2eList.add(run.firstSendMs[i] - run.callbackSentMs[i]);
            }
            if (run.sends[i].get() > 1) {
                duplicates++;
            }
        }
        long[] e2e = e2eList.stream().mapToLong(Long::longValue).sorted().toArray();
        double peakHeap = r.samples.stream().mapToDouble(s -> s.heapMiB).max().orElse(-1);
        double peakRss = r.samples.stream().mapToDouble(s -> s.rssMiB).max().orElse(-1);
        int peakSampled = r.samples.stream().mapToInt(s -> s.modelWaiting).max().orElse(0);
        long calls = run.modelCalls.sum();

        Map<String, String> rows = new LinkedHashMap<>();
        rows.put("followers (one callback each)", run.n + " (client concurrency " + concurrency + ")");
        rows.put("model delay", delay + " ms");
        rows.put("callbacks sent in", r.callbackPhaseMs < 0 ? "not all finished"
                : String.format(Locale.ROOT, "%.1f s (%.0f/s)", r.callbackPhaseMs / 1000.0,
                run.n * 1000.0 / Math.max(1, r.callbackPhaseMs)));
        rows.put("non-success replies", nonSuccess.isEmpty() ? "0" : nonSuccess.values().stream()
                .mapToInt(Integer::intValue).sum() + ": " + nonSuccess.entrySet().stream()
                .map(e -> e.getValue() + "× " + e.getKey()).reduce((x, y) -> x + "; " + y).orElse(""));
        rows.put("callback response p50 / p99 / max", String.format(Locale.ROOT, "%.1f / %.1f / %.1f ms",
                pct(cb, 50) / 1000.0, pct(cb, 99) / 1000.0, pct(cb, 100) / 1000.0));
        rows.put("answered followers", run.answered.get() + " / " + run.n);
        rows.put("missing", Integer.toString(run.n - run.answered.get()));
        rows.put("duplicates (followers with >1 send)", Integer.toString(duplicates));
        rows.put("sends without the model's answer (apology…)", Long.toString(run.sendsNotAnswer.sum()));
        rows.put("model calls (retries)", calls + " (" + (calls - run.questionsAsked.size()) + ")");
        rows.put("peak model calls in flight", r.peakModelWaiting + " (500 ms samples: " + peakSampled + ")");
        rows.put("peak service heap used", peakHeap < 0 ? "n/a" : String.format(Locale.ROOT, "%.0f MiB", peakHeap));
        rows.put("peak service RSS", peakRss < 0 ? "n/a (no --pid)" : String.format(Locale.ROOT, "%.0f MiB", peakRss));
        rows.put("model answer → WeChat send p50 / p95 / p99 / max", a2s.length == 0 ? "n/a"
                : String.format(Locale.ROOT, "%d / %d / %d / %d ms", pct(a2s, 50), pct(a2s, 95), pct(a2s, 99), pct(a2s, 100)));
        rows.put("callback → WeChat send p50 / p99 / max", e2e.length == 0 ? "n/a"
                : String.format(Locale.ROOT, "%d / %d / %d ms", pct(e2e, 50), pct(e2e, 99), pct(e2e, 100)));
        rows.put("wall time", String.format(Locale.ROOT, "%.1f s (%s)", r.wallMs / 1000.0, r.endedBy));
        rows.put("other upstream calls", "typing " + typingCalls.sum() + ", token " + tokenCalls.sum()
                + ", stray model " + strayModelCalls.sum() + ", stray sends " + straySends.sum() + ", 404 " + notFound.sum());

        System.out.println();
        System.out.println("| in flight (run " + run.tag + ") | value |");
        System.out.println("|---|---|");
        rows.forEach((k, v) -> System.out.println("| " + k + " | " + v.replace("|", "\\|") + " |"));
        if (r.peakModelWaiting < run.n && r.callbackPhaseMs > 0) {
            System.out.printf(Locale.ROOT, "%nAt most %d of %d questions waited at the model at once: the callbacks came in at "
                    + "about %.0f/s, so the first answers left before the last questions arrived. For all of them in "
                    + "flight together, give the model longer than the callbacks take (--model-delay-ms > %d).%n",
                    r.peakModelWaiting, run.n, run.n * 1000.0 / Math.max(1, r.callbackPhaseMs), Math.max(0, r.callbackPhaseMs) + 1000);
        }
    }

    /** A non-success callback body, shortened: the passive reply's Content when it is one. */
    static String label(String body) {
        if (body == null) {
            return "(no reply)";
        }
        Matcher m = Pattern.compile("<Content><!\\[CDATA\\[(.*?)]]></Content>", Pattern.DOTALL).matcher(body);
        String s = m.find() ? "reply \"" + m.group(1) + "\"" : body.isEmpty() ? "(empty body)" : body;
        s = s.replaceAll("\\s+", " ");
        return s.length() > 80 ? s.substring(0, 80) + "…" : s;
    }

    /** Nearest-rank percentile of a sorted array; 100 is the maximum. */
    static long pct(long[] sorted, double p) {
        if (sorted.length == 0) {
            return -1;
        }
        int rank = (int) Math.ceil(p / 100.0 * sorted.length);
        return sorted[Math.min(sorted.length - 1, Math.max(0, rank - 1))];
    }

    // ------------------------------------------------------------------------------------------------ helpers

    static Map<String, String> options(String[] args) {
        Map<String, String> o = new HashMap<>();
        for (int i = 0; i < args.length; i++) {
            if (!args[i].startsWith("--")) {
                throw new IllegalArgumentException("unexpected argument " + args[i]);
            }
            String key = args[i].substring(2);
            if (key.equals("serve-only")) {
                o.put(key, "true");
            } else if (i + 1 < args.length) {
                o.put(key, args[++i]);
            } else {
                throw new IllegalArgumentException("--" + key + " needs a value");
            }
        }
        return o;
    }

    static String sorted(String... parts) {
        String[] copy = parts.clone();
        Arrays.sort(copy);
        return String.join("", copy);
    }

    static String sha1(String s) {
        try {
            byte[] d = MessageDigest.getInstance("SHA-1").digest(s.getBytes(StandardCharsets.UTF_8));
            StringBuilder hex = new StringBuilder();
            for (byte b : d) {
                hex.append(String.format("%02x", b));
            }
            return hex.toString();
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    static String esc(String s) {
        StringBuilder b = new StringBuilder(s.length() + 8);
        for (char c : s.toCharArray()) {
            switch (c) {
                case '"' -> b.append("\\\"");
                case '\\' -> b.append("\\\\");
                case '\n' -> b.append("\\n");
                case '\r' -> b.append("\\r");
                case '\t' -> b.append("\\t");
                default -> {
                    if (c < 0x20) {
                        b.append(String.format("\\u%04x", (int) c));
                    } else {
                        b.append(c);
                    }
                }
            }
        }
        return b.toString();
    }

    static ThreadFactory daemon(String name) {
        AtomicLong n = new AtomicLong();
        return r -> {
            Thread t = new Thread(r, name + "-" + n.incrementAndGet());
            t.setDaemon(true);
            return t;
        };
    }

    /** A small JSON reader: objects become Maps, arrays Lists, numbers Doubles. */
    static final class Json {
        private final String s;
        private int i;

        private Json(String s) {
            this.s = s;
        }

        static Object parse(String s) {
            Json j = new Json(s);
            Object v = j.value();
            j.ws();
            if (j.i != s.length()) {
                throw new IllegalArgumentException("trailing characters in JSON at " + j.i);
            }
            return v;
        }

        /** Follows keys (String) and indexes (Integer); null when the path is not there. */
        static Object at(Object v, Object... path) {
            for (Object p : path) {
                if (p instanceof String k && v instanceof Map<?, ?> m) {
                    v = m.get(k);
                } else if (p instanceof Integer n && v instanceof List<?> l && n < l.size()) {
                    v = l.get(n);
                } else {
                    return null;
                }
            }
            return v;
        }

        private void ws() {
            while (i < s.length() && Character.isWhitespace(s.charAt(i))) {
                i++;
            }
        }

        private Object value() {
            ws();
            if (i >= s.length()) {
                throw new IllegalArgumentException("unexpected end of JSON");
            }
            char c = s.charAt(i);
            switch (c) {
                case '{': {
                    i++;
                    Map<String, Object> m = new LinkedHashMap<>();
                    ws();
                    if (s.charAt(i) == '}') {
                        i++;
                        return m;
                    }
                    while (true) {
                        ws();
                        String k = string();
                        ws();
                        expect(':');
                        m.put(k, value());
                        ws();
                        if (s.charAt(i) == ',') {
                            i++;
                        } else {
                            expect('}');
                            return m;
                        }
                    }
                }
                case '[': {
                    i++;
                    List<Object> l = new ArrayList<>();
                    ws();
                    if (s.charAt(i) == ']') {
                        i++;
                        return l;
                    }
                    while (true) {
                        l.add(value());
                        ws();
                        if (s.charAt(i) == ',') {
                            i++;
                        } else {
                            expect(']');
                            return l;
                        }
                    }
                }
                case '"':
                    return string();
                case 't':
                    word("true");
                    return Boolean.TRUE;
                case 'f':
                    word("false");
                    return Boolean.FALSE;
                case 'n':
                    word("null");
                    return null;
                default: {
                    int start = i;
                    while (i < s.length() && "+-0123456789.eE".indexOf(s.charAt(i)) >= 0) {
                        i++;
                    }
                    if (start == i) {
                        throw new IllegalArgumentException("unexpected '" + c + "' in JSON at " + i);
                    }
                    return Double.parseDouble(s.substring(start, i));
                }
            }
        }

        private String string() {
            expect('"');
            StringBuilder b = new StringBuilder();
            while (true) {
                char c = s.charAt(i++);
                if (c == '"') {
                    return b.toString();
                }
                if (c != '\\') {
                    b.append(c);
                    continue;
                }
                char e = s.charAt(i++);
                switch (e) {
                    case 'n' -> b.append('\n');
                    case 't' -> b.append('\t');
                    case 'r' -> b.append('\r');
                    case 'b' -> b.append('\b');
                    case 'f' -> b.append('\f');
                    case 'u' -> {
                        b.append((char) Integer.parseInt(s.substring(i, i + 4), 16));
                        i += 4;
                    }
                    default -> b.append(e); // \" \\ \/
                }
            }
        }

        private void word(String w) {
            if (!s.startsWith(w, i)) {
                throw new IllegalArgumentException("bad literal in JSON at " + i);
            }
            i += w.length();
        }

        private void expect(char c) {
            if (i >= s.length() || s.charAt(i) != c) {
                throw new IllegalArgumentException("expected '" + c + "' in JSON at " + i);
            }
            i++;
        }
    }
}

package io.github.oac.config;

import java.time.Duration;
import java.util.List;
import java.util.Map;

import org.springframework.util.unit.DataSize;

import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.boot.context.properties.bind.Name;

/**
 * Every setting of the service, bound from {@code chat.*} (defaults and env-var names live in application.yml).
 * The YAML routes read the same keys as {@code {{chat....}}} placeholders.
 */
@ConfigurationProperties("chat")
public record ChatProperties(
        Wechat wechat,
        Openai openai,
        Redis redis,
        Callback callback,
        Queue queue,
        Redelivery redelivery,
        Replies replies,
        Memory memory,
        Commands commands,
        Delivery delivery,
        RateLimit rateLimit,
        Recovery recovery,
        Admin admin,
        Breaker breaker,
        DeadLetters deadLetters,
        Threads threads,
        Sandbox sandbox,
        Routes routes,
        Moderation moderation,
        Audit audit,
        Vision vision,
        Quota quota,
        Usage usage,
        Model model,
        Map<String, Account> accounts) {

    public ChatProperties {
        accounts = accounts == null ? Map.of() : java.util.Collections.unmodifiableMap(
                new java.util.LinkedHashMap<>(accounts));
    }

    /**
     * One more Official Account, chat.accounts.<name>, answered at /wechat/<name> (the chat.wechat.* settings are the
     * account "default", at /wechat). token, appId and appSecret are the account's own and required; encodingAesKey
     * (and the previous one, during a rotation) when it uses safe mode. delivery, systemPrompt, model, welcome and
     * rateLimit (questions a follower may ask a minute), aiLabel and aiLabelPosition, wordsFile, and the model
     * provider (baseUrl, apiKey) left empty are the default account's (chat.delivery.mode, chat.openai.*,
     * chat.replies.*, chat.rate-limit.per-minute, chat.moderation.words-file). An account with a baseUrl of its own
     * and no apiKey uses no key.
     */
    public record Account(String token, String appId, String appSecret, String encodingAesKey,
                          String encodingAesKeyPrevious, String delivery, String systemPrompt, String model,
                          String welcome, Integer rateLimit, String aiLabel, String aiLabelPosition, String wordsFile,
                          String baseUrl, String apiKey, Integer questionsPerDay, Integer tokensPerDay) {
    }

    /**
     * Daily quotas per follower: questionsPerDay the model is asked, tokensPerDay it may spend (as the provider counts
     * them); 0 is no quota. A day is a calendar day in zone. An account's own (chat.accounts.<name>.questions-per-day,
     * .tokens-per-day) replaces these.
     */
    public record Quota(int questionsPerDay, int tokensPerDay, String zone) {
    }

    /**
     * The model providers as a shared resource: their limits, and the fallbacks asked in turn when a provider's retries
     * are spent or its breaker is open.
     */
    public record Model(Limits limits, List<Fallback> fallbacks) {

        public Model {
            fallbacks = fallbacks == null ? List.of() : List.copyOf(fallbacks);
        }

        /**
         * A fallback provider: any OpenAI-compatible endpoint (baseUrl, apiKey) and the model asked there (empty: the
         * account's); requestsPerMinute and tokensPerMinute its own limits (empty: chat.model.limits.*).
         */
        public record Fallback(String baseUrl, String apiKey, String model, Integer requestsPerMinute,
                               Integer tokensPerMinute) {

            @Override
            public String toString() {
                return "fallback at " + baseUrl; // never its key
            }
        }

        /**
         * Each provider's limits for its key, held for every instance together: requestsPerMinute and
         * tokensPerMinute (0: none), burst (this long's share of each may go at once after a quiet spell), and
         * longestPause, the most a provider's Retry-After pauses it.
         */
        public record Limits(int requestsPerMinute, int tokensPerMinute, Duration burst, Duration longestPause) {
        }
    }

    /** retention: how long each follower's tokens of a day are kept (the console's top followers). */
    public record Usage(java.time.Duration retention) {
    }

    /**
     * Photos. imageHosts: the hosts a PicUrl may be fetched from ("name", or ".name" for its subdomains); maxBytes
     * read within fetchTimeout; prompt: sent with a photo that came alone; keep: how long a follower's latest photo
     * goes with their text questions; model: the model for turns with a photo (empty: openai.model).
     */
    public record Vision(boolean enabled, List<String> imageHosts, DataSize maxBytes, Duration fetchTimeout,
                         String prompt, Duration keep, String model) {

        public Vision {
            imageHosts = imageHosts == null ? List.of() : List.copyOf(imageHosts);
        }
    }

    /** enabled: one audit line per answered message, on the logger "audit" (AuditLog). */
    public record Audit(boolean enabled) {
    }

    /**
     * wordsFile: the operator's word list (one word or phrase a line, UTF-8, # comments; empty: none), looked at for
     * changes every reloadInterval. api: an OpenAI-compatible moderation service (baseUrl empty: none).
     */
    public record Moderation(String wordsFile, Duration reloadInterval, Api api) {

        /**
         * check: questions, answers or both. timeout (ms), retries and retryDelay (ms) per check. onFailureQuestion,
         * onFailureAnswer: when the service cannot answer, closed blocks and open lets through.
         */
        public record Api(String baseUrl, String apiKey, String model, String check, int timeout, int retries,
                          int retryDelay, String onFailureQuestion, String onFailureAnswer) {
        }
    }

    /** reload: development only, a saved route file in the CHAT_ROUTES folder replaces its routes (RouteReloadSetup). */
    public record Routes(boolean reload) {
    }

    /** allowPlaintext: accept plaintext callbacks although a key is set, for the minutes of switching modes. */
    public record Wechat(String token, String appId, String appSecret, String encodingAesKey,
                         String encodingAesKeyPrevious, boolean allowPlaintext, String apiBaseUrl,
                         Duration connectTimeout, Duration timeout, Duration tokenRefreshMargin, boolean typing,
                         Duration typingDelay) {
    }

    /**
     * The model server. authHeader "Authorization" sends "Bearer key"; any other name (Azure's "api-key") sends
     * the key as it is. headers and query are added to every request (provider extras, Azure's api-version).
     */
    public record Openai(String apiKey, String baseUrl, String model, double temperature, int maxTokens,
                         String systemPrompt, String triggerPrefix, int maxQuestionChars, String authHeader,
                         Map<String, String> headers, Map<String, String> query, Duration connectTimeout,
                         Duration timeout) {

        public Openai {
            headers = headers == null ? Map.of() : Map.copyOf(headers);
            query = query == null ? Map.of() : Map.copyOf(query);
        }
    }

    /**
     * Empty url: an embedded Redis server is started on loopback, keeping its data in dataDir; embeddedPort 0 reuses
     * the port it had last time when free. replicaAcks: replicas that must hold an admission, a turn's decision or a
     * sent part's record, within replicaAckTimeout: a number, or all (the primary's replicas at that moment); empty:
     * all on Sentinel or Cluster, 0 on a single server.
     */
    public record Redis(String url, Duration timeout, int poolSize, String keyPrefix, String dataDir,
                        int embeddedPort, boolean embeddedDebug, String replicaAcks, Duration replicaAckTimeout) {
    }

    public record Callback(Duration dedupTtl, Duration timestampWindow, DataSize maxBodySize, Duration readTimeout) {
    }

    /**
     * consumers: turns in flight at once ("auto" is resolved at start-up by ThreadingSetup). inboxMax: questions one
     * follower may have waiting; more are turned away politely, not queued. pollTimeout: ms an idle consumer waits on
     * the queue before it looks again.
     */
    public record Queue(int size, int consumers, Duration leaseTtl, int inboxMax, int pollTimeout) {
    }

    /** virtual: on Java 21+, run the web server and the consumers on virtual threads (see ThreadingSetup). */
    public record Threads(boolean virtual) {
    }

    /** Conversation memory per follower: whole exchanges, bounded by count and characters, idle expiry. */
    public record Memory(int maxTurns, int maxChars, Duration idleTimeout) {
    }

    /** Exact texts (trimmed, case ignored) that are commands rather than questions. */
    public record Commands(List<String> reset, @Name("continue") List<String> continueReading) {

        public Commands {
            reset = reset == null ? List.of() : List.copyOf(reset);
            continueReading = continueReading == null ? List.of() : List.copyOf(continueReading);
        }
    }

    /**
     * How answers reach the follower. mode: push (customer-service messages), passive (inside the callback's reply,
     * for accounts without the customer-service API), hybrid (passive when the answer is ready within passiveWait and
     * fits one reply, else push) or auto (hybrid, switching to passive for good on errcode 48001). A question's
     * callback waits up to passiveWait for its answer; a passive delivery that is not the last of its message
     * (passiveDeliveries: WeChat sends a message up to three times) is held until passiveHold, past WeChat's 5 s, so
     * WeChat sends it again; the last gets the thinking placeholder. retryWindow: after this long WeChat sends a
     * message no more, and an answer no delivery took is owed to the follower's next message. maxWaiting: callbacks
     * waiting at once ("auto": resolved at start-up by ThreadingSetup); beyond it a callback does not wait.
     * Customer-service messages: maxBytes each, maxMessages per follower message; a rest is kept pendingTtl.
     */
    public record Delivery(String mode, Duration passiveWait, Duration passiveHold, int passiveDeliveries,
                           Duration retryWindow, int maxWaiting, int maxBytes, int maxMessages, Duration pendingTtl) {
    }

    public record RateLimit(int perMinute) {
    }

    /**
     * Unfinished work left by a crash or a stop: looked for at start-up and every interval; a message older than
     * maxAge (WeChat's 48-hour window) or started more than maxAttempts times becomes a dead letter. Every set of
     * followers waiting (one a Redis slot) is read at most every fullSweep; between, only the sets known to hold
     * followers and those of followers this instance dealt with.
     */
    public record Recovery(Duration interval, Duration maxAge, int maxAttempts, Duration fullSweep) {
    }

    /**
     * The model's circuit breaker: opens when failureRate % of the last `window` calls (at least minimumCalls)
     * failed after their retries, stays open for openDuration, then lets trialCalls through to decide. whenOpen:
     * "apologise" (the apology at once) or "wait" (questions wait, in order, until the provider is back).
     */
    public record Breaker(int window, int minimumCalls, float failureRate, Duration openDuration, int trialCalls,
                          String whenOpen) {
    }

    /**
     * Dead letters are kept for retention, then purged by the recovery timer, at most purgeBatch per run, so the
     * hash of an account that can never deliver (no customer-service permission) stops growing.
     */
    public record DeadLetters(Duration retention, int purgeBatch) {
    }

    /**
     * Sandbox mode: WeChat simulated in-process (see io.github.oac.sandbox). enabled is the operator's switch (SANDBOX);
     * active, demoModel, exposed and selfUrl are decided at start-up by SandboxSetup, not set by hand. history and
     * traceEvents bound what the sandbox keeps in memory per follower.
     */
    public record Sandbox(boolean enabled, boolean active, boolean demoModel, boolean exposed, String selfUrl,
                          int history, int traceEvents, boolean consoleToken) {
    }

    /** The /admin endpoints answer only with "Authorization: Bearer <token>"; without a token they do not exist. */
    public record Admin(String token, int failuresPerMinute) {
    }

    public record Redelivery(Policy openai, Policy wechat) {
    }

    public record Policy(int maximumRedeliveries, long redeliveryDelay, double backoffMultiplier,
                         long maximumRedeliveryDelay) {
    }

    /**
     * What the service says on its own, and the fixed answers to menu clicks (EventKey → text). thinking: the passive
     * placeholder when an answer is not ready by a message's last delivery; queued: added to an earlier answer handed
     * to a new question, whose own answer then waits for the follower's next message.
     */
    public record Replies(String apology, String welcome, String voiceUnrecognised, String unsupported,
                          String questionTruncated, String resetDone, String nothingPending, String continueHint,
                          String rateLimited, String busy, String inboxFull, String thinking, String queued,
                          int passiveMaxBytes, String aiLabel, String aiLabelPosition, String blockedQuestion,
                          String blockedAnswer, String imageTooLarge, String imageUnreadable,
                          String imageUnavailable, String imageUnsupported, String quotaExceeded,
                          Map<String, String> click) {

        public Replies {
            click = click == null ? Map.of() : Map.copyOf(click);
        }
    }
}

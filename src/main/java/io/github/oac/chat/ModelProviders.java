package io.github.oac.chat;

import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

import org.apache.camel.CamelContext;
import org.apache.camel.model.Model;
import org.apache.camel.spring.boot.CamelContextConfiguration;
import org.springframework.stereotype.Component;

import io.github.oac.config.Accounts;
import io.github.oac.config.ChatProperties;
import io.github.oac.config.MissingSettingException;
import io.github.oac.store.ProviderLimits;
import io.github.resilience4j.circuitbreaker.CircuitBreaker;
import io.micrometer.core.instrument.MeterRegistry;

/**
 * The model providers the accounts' questions go to: one per base URL and key (chat.openai.*, or an account's own
 * chat.accounts.&lt;name&gt;.base-url and api-key), named for the first account that uses it ({@value Accounts#DEFAULT}
 * for chat.openai.*), and the fallbacks (chat.model.fallbacks, {@code fallback-1}, {@code fallback-2}, ...), asked in
 * turn when a provider's retries are spent or its breaker is open. Each is called through the routes made for it at
 * start-up from the templates in routes/model.camel.yaml: {@code model-<provider>}, its limits and its circuit breaker
 * (one per base URL for the accounts' providers, whatever the keys and accounts: one provider's outage opens one
 * breaker; one of its own for each fallback), then the next fallback should it fail, and {@code ask-model-<provider>},
 * the HTTP call with the provider's key (its own {@link ModelRequest}, bound as {@code modelRequest-<provider>}).
 * Called as {@code modelProviders}.
 */
@Component("modelProviders")
public class ModelProviders implements CamelContextConfiguration {

    /**
     * One provider. apiKey: never logged. breaker: the bean name of its circuit breaker. id: what every instance calls
     * it in Redis (its limits, chat/ModelLimits): a digest of its base URL and key, never the key. model: the model a
     * fallback asks (null: the account's). limits: its own. fallback: the provider asked when it fails ({@value #NO_FALLBACK}: none).
     */
    record Provider(String name, String baseUrl, String apiKey, String breaker, String id, String model,
                    ProviderLimits.Limits limits, String fallback) {

        @Override
        public String toString() {
            return "model provider " + name; // never its key
        }
    }

    private static final String FALLBACK = "fallback-";
    /** What a provider without a fallback names as its fallback (a template parameter cannot be empty). */
    static final String NO_FALLBACK = "none";

    private final ChatProperties.Openai openai;
    private final Accounts.PerAccount<String> providerOfAccount;
    private final Map<String, Provider> providers = new LinkedHashMap<>();
    /** The breakers made here, by bean name (the default provider's is the Spring bean modelBreaker). */
    private final Map<String, CircuitBreaker> breakers = new LinkedHashMap<>();

    public ModelProviders(Accounts accounts, ChatProperties properties, MeterRegistry metrics) {
        this.openai = properties.openai();
        ChatProperties.Model model = properties.model();
        ProviderLimits.Limits limits = limits(model == null ? null : model.limits(), null);
        List<ChatProperties.Model.Fallback> fallbacks = model == null || model.fallbacks() == null ? List.of()
                : model.fallbacks();
        String firstFallback = fallbacks.isEmpty() ? NO_FALLBACK : FALLBACK + 1;
        Map<String, String> breakerOfUrl = new HashMap<>();
        Map<List<String>, String> providerOf = new HashMap<>();
        this.providerOfAccount = accounts.each(account -> {
            String name = account.name();
            String url = endpoint(account.baseUrl());
            List<String> identity = List.of(url, Objects.requireNonNullElse(account.apiKey(), ""));
            return providerOf.computeIfAbsent(identity, same -> {
                String breaker = breakerOfUrl.computeIfAbsent(url, first -> {
                    if (Accounts.DEFAULT.equals(name)) {
                        return "modelBreaker";
                    }
                    breakers.put("modelBreaker-" + name, ModelBreakerSetup.breaker(name, properties.breaker(), metrics));
                    return "modelBreaker-" + name;
                });
                // the default provider's URL as a placeholder: it may name the server's port (sandbox mode), known
                // only once the server has started
                providers.put(name, new Provider(name, Accounts.DEFAULT.equals(name)
                        ? "{{chat.openai.base-url}}" : url, account.apiKey(), breaker, id(identity), null, limits,
                        firstFallback));
                return name;
            });
        });
        for (int n = 1; n <= fallbacks.size(); n++) {
            ChatProperties.Model.Fallback fallback = fallbacks.get(n - 1);
            String name = FALLBACK + n;
            String setting = "chat.model.fallbacks[" + (n - 1) + "]";
            String url = endpoint(fallback == null ? null : fallback.baseUrl());
            if (!url.matches("https?://[^\\s/?#]+[^\\s?#]*")) {
                throw new MissingSettingException("CHAT_MODEL_FALLBACKS_" + (n - 1) + "_BASEURL", setting + ".base-url",
                        "must be an http:// or https:// URL without a query (/chat/completions is appended)");
            }
            String apiKey = Objects.requireNonNullElse(fallback.apiKey(), "").strip();
            // a breaker of its own: a fallback on the primary's endpoint (another model there) must not share its fate
            breakers.put("modelBreaker-" + name, ModelBreakerSetup.breaker(name, properties.breaker(), metrics));
            providers.put(name, new Provider(name, url, apiKey, "modelBreaker-" + name, id(List.of(url, apiKey)),
                    fallback.model() == null || fallback.model().isBlank() ? null : fallback.model().strip(),
                    limits(model.limits(), fallback), n < fallbacks.size() ? FALLBACK + (n + 1) : NO_FALLBACK));
        }
    }

    /** The provider of the account's questions. */
    public String of(String account) {
        return providerOfAccount.of(account);
    }

    /** Every provider's name, the accounts' first, then the fallbacks in order. */
    public java.util.Set<String> names() {
        return java.util.Collections.unmodifiableSet(providers.keySet());
    }

    /** The provider's id in Redis, the same on every instance configured alike: 12 hex digits of SHA-256. */
    public String idOf(String provider) {
        return provider(provider).id();
    }

    /** The provider's limits (chat.model.limits, or a fallback's own). */
    public ProviderLimits.Limits limitsOf(String provider) {
        return provider(provider).limits();
    }

    /** The model a provider was asked: a fallback's own, else the one the turn asked for. */
    public String modelOf(String provider, String asked) {
        Provider known = providers.get(provider);
        return known == null || known.model() == null ? asked : known.model();
    }

    /** The request as the provider is to be asked it: a fallback's model, and the provider it goes to. */
    public ChatRequest requestFor(ChatRequest request, String provider) {
        Provider next = provider(provider);
        return new ChatRequest(next.model() == null ? request.model() : next.model(), request.messages(),
                request.temperature(), request.maxTokens(), next.name());
    }

    /** Every provider's key, so that failures can be logged without them. */
    List<String> keys() {
        return providers.values().stream().map(Provider::apiKey).filter(key -> key != null && !key.isBlank())
                .toList();
    }

    /** Binds each provider's HTTP client and breaker, and makes its two routes, before Camel starts its routes. */
    @Override
    public void beforeApplicationStart(CamelContext camel) {
        breakers.forEach(camel.getRegistry()::bind);
        Model model = camel.getCamelContextExtension().getContextPlugin(Model.class);
        for (Provider provider : providers.values()) {
            String client = "modelRequest-" + provider.name();
            camel.getRegistry().bind(client, new ModelRequest(openai, provider.apiKey()));
            try {
                model.addRouteFromTemplate("ask-model-" + provider.name(), "model-call",
                        Map.of("provider", provider.name(), "base-url", provider.baseUrl(), "client", client));
                model.addRouteFromTemplate("model-" + provider.name(), "model-provider",
                        Map.of("provider", provider.name(), "breaker", provider.breaker(),
                                "fallback", provider.fallback()));
            } catch (Exception e) {
                throw new IllegalStateException("the routes of " + provider + " could not be made", e);
            }
        }
    }

    @Override
    public void afterApplicationStart(CamelContext camel) {
        // nothing: the routes start with the others
    }

    private Provider provider(String name) {
        Provider known = providers.get(name);
        if (known == null) {
            throw new IllegalArgumentException("no model provider " + name);
        }
        return known;
    }

    /** chat.model.limits, with a fallback's own per-minute limits where it sets them. */
    private static ProviderLimits.Limits limits(ChatProperties.Model.Limits configured,
                                                ChatProperties.Model.Fallback own) {
        int requests = configured == null ? 0 : configured.requestsPerMinute();
        int tokens = configured == null ? 0 : configured.tokensPerMinute();
        if (own != null && own.requestsPerMinute() != null) {
            requests = own.requestsPerMinute();
        }
        if (own != null && own.tokensPerMinute() != null) {
            tokens = own.tokensPerMinute();
        }
        Duration burst = configured == null || configured.burst() == null ? Duration.ofSeconds(2) : configured.burst();
        return new ProviderLimits.Limits(Math.max(0, requests), Math.max(0, tokens), burst);
    }

    private static String id(List<String> urlAndKey) {
        try {
            byte[] digest = java.security.MessageDigest.getInstance("SHA-256")
                    .digest(String.join("\n", urlAndKey).getBytes(java.nio.charset.StandardCharsets.UTF_8));
            return java.util.HexFormat.of().formatHex(digest, 0, 6);
        } catch (java.security.NoSuchAlgorithmException impossible) {
            throw new IllegalStateException(impossible);
        }
    }

    private static String endpoint(String baseUrl) {
        String url = baseUrl == null ? "" : baseUrl.strip();
        return url.endsWith("/") ? url.substring(0, url.length() - 1) : url;
    }
}

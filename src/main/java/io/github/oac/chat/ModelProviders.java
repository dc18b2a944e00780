package io.github.oac.chat;

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
import io.github.resilience4j.circuitbreaker.CircuitBreaker;
import io.micrometer.core.instrument.MeterRegistry;

/**
 * The model providers the accounts' questions go to: one per base URL and key (chat.openai.*, or an account's own
 * chat.accounts.&lt;name&gt;.base-url and api-key), named for the first account that uses it ({@value Accounts#DEFAULT}
 * for chat.openai.*). Each is called through the routes made for it at start-up from the templates in
 * routes/model.camel.yaml: {@code model-<provider>}, under the circuit breaker of its base URL (one breaker per
 * endpoint, whatever the keys and accounts: one provider's outage opens one breaker), and {@code ask-model-<provider>},
 * the HTTP call with the provider's key (its own {@link ModelRequest}, bound as {@code modelRequest-<provider>}).
 * Called as {@code modelProviders}.
 */
@Component("modelProviders")
public class ModelProviders implements CamelContextConfiguration {

    /**
     * One provider. apiKey: never logged. breaker: the bean name of its endpoint's circuit breaker. id: what every
     * instance calls it in Redis (its limits, chat/ModelLimits): a digest of its base URL and key, never the key.
     */
    record Provider(String name, String baseUrl, String apiKey, String breaker, String id) {

        @Override
        public String toString() {
            return "model provider " + name; // never its key
        }
    }

    private final ChatProperties.Openai openai;
    private final Accounts.PerAccount<String> providerOfAccount;
    private final Map<String, Provider> providers = new LinkedHashMap<>();
    /** The breakers made here, by bean name (the default provider's is the Spring bean modelBreaker). */
    private final Map<String, CircuitBreaker> breakers = new LinkedHashMap<>();

    public ModelProviders(Accounts accounts, ChatProperties properties, MeterRegistry metrics) {
        this.openai = properties.openai();
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
                        ? "{{chat.openai.base-url}}" : url, account.apiKey(), breaker, id(identity)));
                return name;
            });
        });
    }

    /** The provider of the account's questions. */
    public String of(String account) {
        return providerOfAccount.of(account);
    }

    /** Every provider's name. */
    public java.util.Set<String> names() {
        return java.util.Collections.unmodifiableSet(providers.keySet());
    }

    /** The provider's id in Redis, the same on every instance configured alike: 12 hex digits of SHA-256. */
    public String idOf(String provider) {
        Provider known = providers.get(provider);
        if (known == null) {
            throw new IllegalArgumentException("no model provider " + provider);
        }
        return known.id();
    }

    /** The bean name of the provider's circuit breaker. */
    public String breakerOf(String provider) {
        return providers.get(provider).breaker();
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
                        Map.of("provider", provider.name(), "breaker", provider.breaker()));
            } catch (Exception e) {
                throw new IllegalStateException("the routes of " + provider + " could not be made", e);
            }
        }
    }

    @Override
    public void afterApplicationStart(CamelContext camel) {
        // nothing: the routes start with the others
    }

    private static String endpoint(String baseUrl) {
        String url = baseUrl == null ? "" : baseUrl.strip();
        return url.endsWith("/") ? url.substring(0, url.length() - 1) : url;
    }
}

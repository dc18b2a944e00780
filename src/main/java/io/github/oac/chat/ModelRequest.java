package io.github.oac.chat;

import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.stream.Collectors;

import org.apache.camel.component.http.HttpClientConfigurer;
import org.apache.hc.client5.http.impl.classic.HttpClientBuilder;

import io.github.oac.config.ChatProperties;

/**
 * The provider-specific parts of every model request, added by the HTTP client of one provider's endpoint
 * ({@code httpClientConfigurer} in routes/model.camel.yaml, bound per provider by chat/ModelProviders): the key in the
 * configured header (Bearer for OpenAI and most compatible servers, a bare api-key for Azure), extra headers, and
 * extra query parameters (Azure's api-version). The key never enters an exchange, so no step, log or trace can show
 * it.
 */
public class ModelRequest implements HttpClientConfigurer {

    private final String keyHeader;
    private final String keyValue;
    private final Map<String, String> headers;
    private final String query;

    /** apiKey: the provider's key (empty: none is sent). */
    public ModelRequest(ChatProperties.Openai openai, String apiKey) {
        this.keyHeader = openai.authHeader() == null || openai.authHeader().isBlank()
                ? "Authorization" : openai.authHeader();
        String key = apiKey == null || apiKey.isBlank() ? null : apiKey;
        this.keyValue = key == null ? null : "authorization".equalsIgnoreCase(keyHeader) ? "Bearer " + key : key;
        this.headers = Map.copyOf(openai.headers());
        this.query = openai.query().entrySet().stream()
                .map(e -> encode(e.getKey()) + "=" + encode(e.getValue()))
                .collect(Collectors.joining("&"));
    }

    @Override
    public void configureHttpClient(HttpClientBuilder builder) {
        builder.addRequestInterceptorFirst((request, entity, context) -> {
            if (keyValue != null) {
                request.setHeader(keyHeader, keyValue);
            }
            headers.forEach(request::setHeader);
            if (!query.isEmpty()) {
                String path = request.getPath();
                request.setPath(path + (path.contains("?") ? "&" : "?") + query);
            }
        });
    }

    private static String encode(String value) {
        return URLEncoder.encode(value, StandardCharsets.UTF_8);
    }
}

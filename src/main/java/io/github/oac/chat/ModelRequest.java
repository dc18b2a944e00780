package io.github.oac.chat;

import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.stream.Collectors;

import org.apache.camel.Exchange;
import org.springframework.stereotype.Component;

import io.github.oac.config.ChatProperties;

/**
 * The provider-specific parts of a model request: the key in the configured header (Bearer for OpenAI and most
 * compatible servers, a bare api-key for Azure), extra headers, and extra query parameters (Azure's api-version).
 * Called as {@code modelRequest}.
 */
@Component("modelRequest")
public class ModelRequest {

    private final ChatProperties.Openai openai;
    private final String query;

    public ModelRequest(ChatProperties properties) {
        this.openai = properties.openai();
        this.query = openai.query().entrySet().stream()
                .map(e -> encode(e.getKey()) + "=" + encode(e.getValue()))
                .collect(Collectors.joining("&"));
    }

    public void addProviderHeaders(Exchange exchange) {
        var message = exchange.getMessage();
        String header = openai.authHeader() == null || openai.authHeader().isBlank()
                ? "Authorization" : openai.authHeader();
        message.setHeader(header, "authorization".equalsIgnoreCase(header)
                ? "Bearer " + openai.apiKey() : openai.apiKey());
        for (Map.Entry<String, String> extra : openai.headers().entrySet()) {
            message.setHeader(extra.getKey(), extra.getValue());
        }
        if (!query.isEmpty()) {
            message.setHeader(Exchange.HTTP_QUERY, query);
        }
    }

    private static String encode(String value) {
        return URLEncoder.encode(value, StandardCharsets.UTF_8);
    }
}

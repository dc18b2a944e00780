package io.github.oac.wechat;

import java.io.BufferedReader;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.nio.charset.Charset;
import java.nio.charset.StandardCharsets;
import java.net.URLDecoder;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.boot.web.servlet.FilterRegistrationBean;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.core.Ordered;
import org.springframework.http.InvalidMediaTypeException;
import org.springframework.http.MediaType;
import org.springframework.web.filter.OncePerRequestFilter;

import io.github.oac.config.ChatProperties;
import jakarta.servlet.FilterChain;
import jakarta.servlet.ReadListener;
import jakarta.servlet.ServletException;
import jakarta.servlet.ServletInputStream;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletRequestWrapper;
import jakarta.servlet.http.HttpServletResponse;

/**
 * What reaches the service on its public port. Every request: a body within chat.callback.max-body-size (413
 * otherwise, by Content-Length before reading, else after reading at most the limit plus one byte, chunked or not),
 * and no request header named like a callback parameter (signature, timestamp, nonce, echostr, encrypt_type,
 * msg_signature, openid): platform-http puts headers and query parameters into the same Camel headers, and what the
 * routes read must be what was verified here. For /wechat, first the query alone: one value per parameter (400
 * otherwise), a valid signature of a fresh timestamp (403 otherwise, before a byte of the body is read, so nobody
 * without a signed URL can make the service hold bodies in memory). Then, for any of them, a body within chat.callback.max-body-size (413 otherwise, by Content-Length
 * before reading, else after reading at most the limit plus one byte), of a text or XML type in a charset the JVM
 * knows and with no Content-Encoding (415 otherwise). WeChat only ever sends UTF-8 XML, but anything can arrive at a
 * public URL, and platform-http would otherwise parse form and multipart bodies itself, before any route step, and
 * answer a broken one with 500 and a stack trace in the log. The body is buffered here and handed on as read, so
 * nothing downstream can fail on how it arrived. Nothing larger than the limit is ever held in memory.
 */
@Configuration(proxyBeanMethods = false)
public class CallbackGate {

    private static final Logger LOG = LoggerFactory.getLogger(CallbackGate.class);
    /** Request attribute: when the request reached the service (epoch ms), read by CallbackClock. */
    static final String ARRIVED_AT = "oac.arrivedAt";

    @Bean
    FilterRegistrationBean<OncePerRequestFilter> callbackGateFilter(ChatProperties properties,
                                                                    WechatSignature signature, ReplayGuard replayGuard) {
        long limit = properties.callback().maxBodySize().toBytes();
        FilterRegistrationBean<OncePerRequestFilter> registration =
                new FilterRegistrationBean<>(new Gate(limit, signature, replayGuard));
        // /error: Spring's error page answers a direct request with 500; it is for error dispatches only
        registration.addUrlPatterns("/*");
        registration.setOrder(Ordered.HIGHEST_PRECEDENCE);
        return registration;
    }

    static final class Gate extends OncePerRequestFilter {

        private final long limit;
        private final WechatSignature signature;
        private final ReplayGuard replayGuard;

        Gate(long limit, WechatSignature signature, ReplayGuard replayGuard) {
            this.limit = limit;
            this.signature = signature;
            this.replayGuard = replayGuard;
        }

        @Override
        protected void doFilterInternal(HttpServletRequest request, HttpServletResponse response, FilterChain chain)
                throws ServletException, IOException {
            request.setAttribute(ARRIVED_AT, System.currentTimeMillis());
            response.setHeader("X-Content-Type-Options", "nosniff");
            String path = request.getServletPath();
            if (path.equals("/error")) {
                refuse(response, 404, "not found");
                return;
            }
            Map<String, List<String>> query = query(request.getQueryString());
            if (query.values().stream().anyMatch(values -> values.size() > 1)) {
                refuse(response, 400, "bad request"); // which of two signatures or echostrs would be meant?
                return;
            }
            if (path.startsWith("/admin") && query.keySet().stream().anyMatch("authorization"::equalsIgnoreCase)) {
                refuse(response, 400, "bad request"); // a token in a URL ends up in access logs: header only
                return;
            }
            boolean callback = path.equals("/wechat") || path.startsWith("/wechat/");
            if (callback && !signedAndFresh(query)) {
                refuse(response, 403, "forbidden");
                return;
            }
            String refusal = callback || path.startsWith("/admin/") ? unsupported(request) : null;
            if (refusal != null) {
                LOG.debug("Refused a request to {} with 415: {}", request.getRequestURI(), refusal);
                refuse(response, 415, "unsupported media type");
                return;
            }
            if (request.getContentLengthLong() > limit) {
                refuse(response, 413, "payload too large");
                return;
            }
            byte[] body = request.getInputStream().readNBytes((int) Math.min(Integer.MAX_VALUE - 8, limit + 1));
            if (body.length > limit) {
                refuse(response, 413, "payload too large");
                return;
            }
            chain.doFilter(new Buffered(request, body), response);
        }

        private boolean signedAndFresh(Map<String, List<String>> query) {
            try {
                signature.requireValid(first(query, "signature"), first(query, "timestamp"), first(query, "nonce"));
                replayGuard.requireFresh(first(query, "timestamp"));
                return true;
            } catch (ForgedCallbackException refused) {
                LOG.debug("Refused an unsigned or stale request before reading its body");
                return false;
            }
        }

        private static String first(Map<String, List<String>> query, String name) {
            List<String> values = query.get(name);
            return values == null ? null : values.get(0);
        }

        /**
         * The query string's parameters, decoded leniently (a broken escape is kept as it is), without touching
         * the body: the container would parse a form body to answer getParameter.
         */
        static Map<String, List<String>> query(String queryString) {
            Map<String, List<String>> parameters = new LinkedHashMap<>();
            if (queryString == null || queryString.isEmpty()) {
                return parameters;
            }
            for (String pair : queryString.split("&")) {
                if (pair.isEmpty()) {
                    continue;
                }
                int equals = pair.indexOf('=');
                String name = decode(equals < 0 ? pair : pair.substring(0, equals));
                String value = equals < 0 ? "" : decode(pair.substring(equals + 1));
                parameters.computeIfAbsent(name, n -> new ArrayList<>()).add(value);
            }
            return parameters;
        }

        private static String decode(String raw) {
            try {
                return URLDecoder.decode(raw, StandardCharsets.UTF_8);
            } catch (IllegalArgumentException brokenEscape) {
                return raw;
            }
        }

        /** Why this request's body cannot be a callback as WeChat sends it, or null when it can. */
        static String unsupported(HttpServletRequest request) {
            String encoding = request.getHeader("Content-Encoding");
            if (encoding != null && !encoding.isBlank() && !encoding.strip().equalsIgnoreCase("identity")) {
                return "Content-Encoding " + encoding;
            }
            String contentType = request.getContentType();
            if (contentType == null || contentType.isBlank()) {
                return null;
            }
            MediaType type;
            try {
                type = MediaType.parseMediaType(contentType);
            } catch (InvalidMediaTypeException e) {
                return "unreadable Content-Type";
            }
            boolean text = type.getType().equals("text") && !type.isWildcardSubtype();
            boolean xml = type.getType().equals("application")
                    && (type.getSubtype().equals("xml") || type.getSubtype().endsWith("+xml")
                    || type.getSubtype().equals("octet-stream"));
            if (!text && !xml) {
                return "Content-Type " + type.getType() + "/" + type.getSubtype();
            }
            try {
                type.getCharset(); // throws for a charset the JVM does not know
            } catch (IllegalArgumentException e) {
                return "unknown charset";
            }
            return null;
        }

        private static void refuse(HttpServletResponse response, int status, String text) throws IOException {
            response.setStatus(status);
            response.setContentType("text/plain;charset=UTF-8");
            response.setHeader("Connection", "close"); // do not read the rest of a refused body
            response.getWriter().write(text);
        }
    }

    /** Request headers that would shadow, or stand in for, the query parameters the callback verifies. */
    static final java.util.Set<String> HIDDEN_HEADERS = java.util.Set.of("signature", "timestamp", "nonce", "echostr",
            "encrypt_type", "msg_signature", "openid");

    /**
     * A request whose body was read (within the limit) by the filter; it is decoded leniently, never failing. Headers
     * named like the callback's query parameters are not shown.
     */
    private static final class Buffered extends HttpServletRequestWrapper {

        private final byte[] body;

        Buffered(HttpServletRequest request, byte[] body) {
            super(request);
            this.body = body;
        }

        @Override
        public ServletInputStream getInputStream() {
            ByteArrayInputStream in = new ByteArrayInputStream(body);
            return new ServletInputStream() {
                @Override
                public int read() throws IOException {
                    return in.read();
                }

                @Override
                public int read(byte[] b, int off, int len) throws IOException {
                    return in.read(b, off, len);
                }

                @Override
                public boolean isFinished() {
                    return in.available() == 0; // ByteArrayInputStream: never throws
                }

                @Override
                public boolean isReady() {
                    return true;
                }

                @Override
                public void setReadListener(ReadListener listener) {
                    throw new UnsupportedOperationException("synchronous reads only");
                }
            };
        }

        @Override
        public BufferedReader getReader() {
            Charset charset = StandardCharsets.UTF_8;
            try {
                if (getCharacterEncoding() != null) {
                    charset = Charset.forName(getCharacterEncoding());
                }
            } catch (RuntimeException unknownCharset) {
                // WeChat sends UTF-8; an unknown charset name is read as that rather than failing
            }
            return new BufferedReader(new InputStreamReader(getInputStream(), charset));
        }

        @Override
        public String getHeader(String name) {
            return hidden(name) ? null : super.getHeader(name);
        }

        @Override
        public java.util.Enumeration<String> getHeaders(String name) {
            return hidden(name) ? java.util.Collections.emptyEnumeration() : super.getHeaders(name);
        }

        @Override
        public java.util.Enumeration<String> getHeaderNames() {
            return java.util.Collections.enumeration(java.util.Collections.list(super.getHeaderNames()).stream()
                    .filter(name -> !hidden(name)).toList());
        }

        private static boolean hidden(String name) {
            return name != null && HIDDEN_HEADERS.contains(name.toLowerCase(java.util.Locale.ROOT));
        }

        @Override
        public int getContentLength() {
            return body.length;
        }

        @Override
        public long getContentLengthLong() {
            return body.length;
        }
    }
}

package io.github.oac.wechat;

import java.io.BufferedReader;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.net.URLDecoder;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicBoolean;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.boot.web.servlet.FilterRegistrationBean;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.core.Ordered;
import org.springframework.http.InvalidMediaTypeException;
import org.springframework.http.MediaType;

import io.github.oac.config.Accounts;
import io.github.oac.config.ChatProperties;
import jakarta.servlet.AsyncContext;
import jakarta.servlet.AsyncEvent;
import jakarta.servlet.AsyncListener;
import jakarta.servlet.DispatcherType;
import jakarta.servlet.Filter;
import jakarta.servlet.FilterChain;
import jakarta.servlet.ReadListener;
import jakarta.servlet.ServletException;
import jakarta.servlet.ServletInputStream;
import jakarta.servlet.ServletRequest;
import jakarta.servlet.ServletResponse;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletRequestWrapper;
import jakarta.servlet.http.HttpServletResponse;

/**
 * What reaches the service on its public port, decided before a byte of a body is read.
 * <p>
 * Every request: no request header named like a callback parameter (signature, timestamp, nonce, echostr,
 * encrypt_type, msg_signature, openid): platform-http puts headers and query parameters into the same Camel headers,
 * and what the routes read must be what was verified here. For /wechat (the default account) and /wechat/<name> (another
 * configured one; any other name is 404, and says nothing of which exist), first the query alone: one value per
 * parameter (400 otherwise), a valid signature of a fresh timestamp with that account's token (403 otherwise).
 * <p>
 * Bodies. Only a POST to an account's path that passed that check (and, in sandbox mode, a POST under /sandbox) takes
 * one; on any other path a request carrying a body gets 413 without a byte of it read. A body that is taken is read without
 * holding a thread (the servlet's non-blocking input, as the bytes arrive), within chat.callback.max-body-size (413
 * otherwise, by Content-Length before reading, else as soon as the limit is passed) and within
 * chat.callback.read-timeout counted from the request's arrival (408 otherwise), of a text or XML type in a charset the
 * JVM knows and with no Content-Encoding (415 otherwise). Then the request goes on, in an async dispatch, with the
 * body as read. Every refusal of a request with a body closes the connection without reading the rest (Tomcat would
 * otherwise swallow it on the request's thread, at whatever pace the client sends it). So a client that sends slowly
 * holds no thread and at most max-body-size bytes, and only for read-timeout; Tomcat's max-connections bounds how
 * many connections there are at all.
 * <p>
 * WeChat only ever sends small UTF-8 XML in one go, but anything can arrive at a public URL, and platform-http would
 * otherwise parse form and multipart bodies itself, before any route step, and answer a broken one with 500 and a
 * stack trace in the log.
 */
@Configuration(proxyBeanMethods = false)
public class CallbackGate {

    private static final Logger LOG = LoggerFactory.getLogger(CallbackGate.class);
    /** Request attribute: when the request reached the service (epoch ms). */
    static final String ARRIVED_AT = "oac.arrivedAt";
    /**
     * The same instant as a request header for the route ({@code ${header.oac-arrived-at}}): the 5 s WeChat gives a
     * callback count from when it reached the service, not from when a thread picked it up. A client's own header of
     * this name is never shown.
     */
    static final String ARRIVED_AT_HEADER = "oac-arrived-at";
    /** Request attribute: the account a callback's path names (/wechat: the default one). */
    static final String ACCOUNT = "oac.account";
    /** The same as a request header for the route ({@code ${header:oac-account}}); a client's own is never shown. */
    static final String ACCOUNT_HEADER = "oac-account";
    /**
     * The headers the gate sets from what it decided: a client's own headers of these names are never shown, and a
     * query parameter of these names is refused.
     */
    static boolean isOurs(String name) {
        return ARRIVED_AT_HEADER.equalsIgnoreCase(name) || ACCOUNT_HEADER.equalsIgnoreCase(name);
    }

    /** Request attribute: the body as read, handed to the async dispatch that carries the request on. */
    static final String BODY = "oac.body";
    private static final byte[] NO_BODY = new byte[0];

    @Bean
    FilterRegistrationBean<Gate> callbackGateFilter(ChatProperties properties, WechatSignature signature,
                                                    ReplayGuard replayGuard, Accounts accounts) {
        Gate gate = new Gate(properties.callback().maxBodySize().toBytes(),
                properties.callback().readTimeout().toMillis(), properties.sandbox().active(), signature, replayGuard,
                Runtime.getRuntime().maxMemory() / 8, java.util.Set.copyOf(accounts.names()));
        FilterRegistrationBean<Gate> registration = new FilterRegistrationBean<>(gate);
        registration.addUrlPatterns("/*");
        // REQUEST: every request as it arrives; ASYNC: a request whose body was read goes on with it
        registration.setDispatcherTypes(DispatcherType.REQUEST, DispatcherType.ASYNC);
        registration.setAsyncSupported(true);
        registration.setOrder(Ordered.HIGHEST_PRECEDENCE);
        return registration;
    }

    static final class Gate implements Filter {

        private final long limit;
        private final long readTimeoutMillis;
        private final boolean sandbox;
        private final WechatSignature signature;
        private final ReplayGuard replayGuard;
        /**
         * What all bodies being read may take at once (an eighth of the heap), reserved when a read starts: each
         * its Content-Length, or max-body-size when chunked. Beyond it a body gets 503 and WeChat sends it again.
         */
        private final long maxBuffered;
        private final java.util.concurrent.atomic.AtomicLong buffered = new java.util.concurrent.atomic.AtomicLong();
        /** The configured accounts' names: /wechat/<name> for each but the default one, at /wechat. */
        private final java.util.Set<String> accounts;

        Gate(long limit, long readTimeoutMillis, boolean sandbox, WechatSignature signature,
             ReplayGuard replayGuard, long maxBuffered, java.util.Set<String> accounts) {
            this.accounts = accounts;
            this.limit = limit;
            this.readTimeoutMillis = readTimeoutMillis;
            this.sandbox = sandbox;
            this.signature = signature;
            this.replayGuard = replayGuard;
            this.maxBuffered = maxBuffered;
        }

        @Override
        public void doFilter(ServletRequest servletRequest, ServletResponse servletResponse, FilterChain chain)
                throws IOException, ServletException {
            HttpServletRequest request = (HttpServletRequest) servletRequest;
            HttpServletResponse response = (HttpServletResponse) servletResponse;
            if (request.getDispatcherType() == DispatcherType.ASYNC) {
                // the request goes on after its body was read here (or Spring writes an async result): as checked
                Object body = request.getAttribute(BODY);
                chain.doFilter(new Buffered(request, body instanceof byte[] bytes ? bytes : NO_BODY), response);
                return;
            }
            request.setAttribute(ARRIVED_AT, System.currentTimeMillis());
            response.setHeader("X-Content-Type-Options", "nosniff");
            String path = request.getServletPath();
            if (path.equals("/error")) {
                // Spring's error page answers a direct request with 500; it is for error dispatches only
                refuse(request, response, 404, "not found");
                return;
            }
            boolean sandboxPath = path.equals("/sandbox") || path.startsWith("/sandbox/");
            if (sandboxPath && !sandbox) {
                refuse(request, response, 404, "not found"); // outside sandbox mode nothing of it exists
                return;
            }
            Map<String, List<String>> query = query(request.getQueryString());
            if (query.values().stream().anyMatch(values -> values.size() > 1)) {
                refuse(request, response, 400, "bad request"); // which of two signatures or echostrs would be meant?
                return;
            }
            if (query.keySet().stream().anyMatch(CallbackGate::isOurs)) {
                // platform-http makes query parameters headers too: none may stand in for what this gate decides
                // (the account, the arrival), which no signature covers
                refuse(request, response, 400, "bad request");
                return;
            }
            if (path.startsWith("/admin") && query.keySet().stream().anyMatch("authorization"::equalsIgnoreCase)) {
                refuse(request, response, 400, "bad request"); // a token in a URL ends up in access logs: header only
                return;
            }
            boolean callback = path.equals("/wechat") || path.startsWith("/wechat/");
            String account = callback ? account(path) : null;
            if (callback && account == null) {
                refuse(request, response, 404, "not found"); // no account of that name: nothing says which exist
                return;
            }
            if (callback && !signedAndFresh(account, query)) {
                refuse(request, response, 403, "forbidden"); // another account's token signs nothing here
                return;
            }
            request.setAttribute(ACCOUNT, account);
            // even without a body: Spring would try to parse a multipart or form request itself, and fail with 500
            String refusal = callback || path.startsWith("/admin/") ? unsupported(request) : null;
            if (refusal != null) {
                LOG.debug("Refused a request to {} with 415: {}", request.getRequestURI(), refusal);
                refuse(request, response, 415, "unsupported media type");
                return;
            }
            if (!hasBody(request)) {
                chain.doFilter(new Buffered(request, NO_BODY), response);
                return;
            }
            boolean takesBody = "POST".equals(request.getMethod())
                    && (callback || sandboxPath);
            if (!takesBody || request.getContentLengthLong() > limit) {
                refuse(request, response, 413, "payload too large");
                return;
            }
            long length = request.getContentLengthLong();
            // WeChat's callback arrives in one piece with its headers: what is already here is read without waiting,
            // and a body that is all here goes on at once, on this thread
            byte[] here = readWhatIsHere(request.getInputStream(), length);
            if (length > 0 && here.length == length) {
                chain.doFilter(new Buffered(request, here), response);
                return;
            }
            long reserved = length > 0 ? length : limit;
            if (buffered.addAndGet(reserved) > maxBuffered) {
                buffered.addAndGet(-reserved);
                LOG.debug("Refused a body with 503: {} bytes of bodies are being read already", maxBuffered);
                refuse(request, response, 503, "service unavailable");
                return;
            }
            long arrivedAt = (Long) request.getAttribute(ARRIVED_AT);
            long left = readTimeoutMillis - (System.currentTimeMillis() - arrivedAt);
            try {
                AsyncContext async = request.startAsync();
                async.setTimeout(Math.max(1, left));
                BodyReader reader = new BodyReader(async, request.getInputStream(), limit,
                        () -> buffered.addAndGet(-reserved));
                reader.body.write(here, 0, here.length);
                async.addListener(reader);
                request.getInputStream().setReadListener(reader);
            } catch (RuntimeException | IOException notStarted) {
                buffered.addAndGet(-reserved);
                throw notStarted;
            }
        }

        /**
         * The bytes of a body with a Content-Length that the server holds already (they came with the headers): read
         * only while available() says some are there, so never waiting for the client.
         */
        private static byte[] readWhatIsHere(ServletInputStream in, long length) throws IOException {
            if (length <= 0) {
                return NO_BODY;
            }
            ByteArrayOutputStream here = new ByteArrayOutputStream((int) Math.min(length, 8192));
            byte[] chunk = new byte[8192];
            while (here.size() < length && in.available() > 0) {
                int n = in.read(chunk, 0, (int) Math.min(chunk.length, length - here.size()));
                if (n < 0) {
                    break;
                }
                here.write(chunk, 0, n);
            }
            return here.toByteArray();
        }

        /** A body follows the headers: a Content-Length above 0, or a transfer coding (chunked). */
        private static boolean hasBody(HttpServletRequest request) {
            return request.getContentLengthLong() > 0 || request.getHeader("Transfer-Encoding") != null;
        }

        /** The account a callback path names: /wechat the default one, /wechat/<name> another; null: none. */
        private String account(String path) {
            if (path.equals("/wechat")) {
                return Accounts.DEFAULT;
            }
            String name = path.substring("/wechat/".length());
            return !name.equals(Accounts.DEFAULT) && accounts.contains(name) ? name : null;
        }

        private boolean signedAndFresh(String account, Map<String, List<String>> query) {
            try {
                signature.forAccount(account).requireValid(first(query, "signature"), first(query, "timestamp"),
                        first(query, "nonce"));
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

        /**
         * A refusal. With a body on its way, the request turns asynchronous: the answer goes out at once, then what
         * the client still sends is read and dropped for at most DRAIN_MILLIS and DRAIN_BYTES, on no thread of its
         * own, and the connection is closed. A plain return would have Tomcat swallow the rest on the request's
         * thread, at the client's pace; closing at once, with the body unread, would have the client's kernel see a
         * reset, often before the answer.
         */
        private static void refuse(HttpServletRequest request, HttpServletResponse response, int status,
                                   String text) throws IOException {
            if (hasBody(request) && request.isAsyncSupported()) {
                AsyncContext async = request.startAsync();
                async.setTimeout(DRAIN_MILLIS);
                write(response, status, text);
                response.flushBuffer();
                BodyReader drain = BodyReader.draining(async, request.getInputStream());
                async.addListener(drain);
                request.getInputStream().setReadListener(drain);
            } else {
                write(response, status, text);
            }
        }
    }

    /** How long, and how much of, a refused body is read and dropped before its connection is closed. */
    static final long DRAIN_MILLIS = 1000;
    static final long DRAIN_BYTES = 2L * 1024 * 1024;

    private static void write(HttpServletResponse response, int status, String text) throws IOException {
        response.setStatus(status);
        response.setContentType("text/plain;charset=UTF-8");
        response.setHeader("Connection", "close"); // do not read the rest of a refused body
        response.getWriter().write(text);
    }

    /**
     * Reads a body as its bytes arrive, on whichever container thread has them, and ends it exactly once: dispatched
     * on with the body, or refused (413 over the limit, 408 past the deadline), or dropped (the client went away).
     * After a refusal it drains: what still arrives is read and dropped, up to DRAIN_BYTES and until the async
     * timeout, so that the client reads the answer before the connection closes.
     */
    private static final class BodyReader implements ReadListener, AsyncListener {

        private final AsyncContext async;
        private final ServletInputStream in;
        private final long limit;
        private final ByteArrayOutputStream body = new ByteArrayOutputStream();
        private final byte[] chunk = new byte[8192];
        private final AtomicBoolean decided = new AtomicBoolean();
        private final AtomicBoolean completed = new AtomicBoolean();
        private volatile boolean draining;
        private long drained;
        /** Gives back the reservation this body holds: once, when it is decided. */
        private final Runnable release;

        BodyReader(AsyncContext async, ServletInputStream in, long limit, Runnable release) {
            this.async = async;
            this.in = in;
            this.limit = limit;
            this.release = release;
        }

        /** A reader for a request already answered: it only drains. */
        static BodyReader draining(AsyncContext async, ServletInputStream in) {
            BodyReader reader = new BodyReader(async, in, 0, () -> { });
            reader.decided.set(true);
            reader.draining = true;
            return reader;
        }

        @Override
        public void onDataAvailable() throws IOException {
            while (!completed.get() && in.isReady()) {
                int n = in.read(chunk);
                if (n < 0) {
                    return; // onAllDataRead follows
                }
                if (draining) {
                    drained += n;
                    if (drained > DRAIN_BYTES) {
                        complete();
                    }
                } else if (body.size() + n > limit) {
                    refuse(413, "payload too large");
                } else {
                    body.write(chunk, 0, n);
                }
            }
        }

        @Override
        public void onAllDataRead() {
            if (decided.compareAndSet(false, true)) {
                async.getRequest().setAttribute(BODY, body.toByteArray());
                release.run(); // the body goes on as one array, held by the request from here
                async.dispatch();
            } else {
                complete();
            }
        }

        @Override
        public void onTimeout(AsyncEvent event) throws IOException {
            if (decided.compareAndSet(false, true)) {
                release.run();
                LOG.debug("Closed a request whose body did not arrive within chat.callback.read-timeout");
                write((HttpServletResponse) async.getResponse(), 408, "request timeout");
                complete();
            } else if (draining) {
                complete();
            } // else dispatched on with its body already
        }

        @Override
        public void onError(Throwable failure) {
            // the client went away or the connection broke: nobody to answer
            if (decided.compareAndSet(false, true)) {
                release.run();
                complete();
            } else if (draining) {
                complete();
            }
        }

        @Override
        public void onError(AsyncEvent event) {
            onError(event.getThrowable());
        }

        @Override
        public void onComplete(AsyncEvent event) {
        }

        @Override
        public void onStartAsync(AsyncEvent event) {
        }

        /** Over the limit: answered now; what still comes is drained until the body's deadline. */
        private void refuse(int status, String text) throws IOException {
            if (decided.compareAndSet(false, true)) {
                release.run();
                body.reset();
                HttpServletResponse response = (HttpServletResponse) async.getResponse();
                write(response, status, text);
                response.flushBuffer();
                draining = true;
            }
        }

        private void complete() {
            if (completed.compareAndSet(false, true)) {
                async.complete();
            }
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
            return new BufferedReader(new InputStreamReader(getInputStream(), StandardCharsets.UTF_8));
        }

        /** WeChat sends UTF-8, whatever a Content-Type says (as Spring's forced request encoding did). */
        @Override
        public String getCharacterEncoding() {
            return "UTF-8";
        }

        @Override
        public String getHeader(String name) {
            if (CallbackGate.isOurs(name)) {
                return ours(name);
            }
            return hidden(name) ? null : super.getHeader(name);
        }

        @Override
        public java.util.Enumeration<String> getHeaders(String name) {
            if (CallbackGate.isOurs(name)) {
                String value = ours(name);
                return value == null ? java.util.Collections.emptyEnumeration()
                        : java.util.Collections.enumeration(java.util.List.of(value));
            }
            return hidden(name) ? java.util.Collections.emptyEnumeration() : super.getHeaders(name);
        }

        @Override
        public java.util.Enumeration<String> getHeaderNames() {
            java.util.List<String> names = new java.util.ArrayList<>(java.util.Collections.list(super.getHeaderNames())
                    .stream().filter(name -> !hidden(name) && !CallbackGate.isOurs(name)).toList());
            for (String name : List.of(ARRIVED_AT_HEADER, ACCOUNT_HEADER)) {
                if (ours(name) != null) {
                    names.add(name);
                }
            }
            return java.util.Collections.enumeration(names);
        }


        private String ours(String name) {
            if (ARRIVED_AT_HEADER.equalsIgnoreCase(name)) {
                return getAttribute(ARRIVED_AT) instanceof Long arrived ? Long.toString(arrived) : null;
            }
            return getAttribute(ACCOUNT) instanceof String account ? account : null;
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

package io.github.oac.wechat;

import java.io.ByteArrayOutputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Flow;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicReference;

import org.springframework.stereotype.Component;

import io.github.oac.config.ChatProperties;

/**
 * Fetches a photo from its PicUrl, and from nowhere else: a plaintext callback's body is unsigned, so the PicUrl may
 * name any address. Only http(s) URLs on a host in chat.vision.image-hosts are requested, redirects are never followed,
 * and at most chat.vision.max-bytes are read within chat.vision.fetch-timeout (the whole fetch, its last byte
 * included: a server that trickles is cut off). Called as {@code photoFetcher}.
 */
@Component("photoFetcher")
public class PhotoFetcher {

    private final List<String> hosts;
    private final long maxBytes;
    private final Duration timeout;
    private final HttpClient http;

    public PhotoFetcher(ChatProperties properties) {
        ChatProperties.Vision vision = properties.vision();
        this.hosts = vision.imageHosts().stream().map(host -> host.strip().toLowerCase(Locale.ROOT))
                .filter(host -> !host.isEmpty() && !host.equals(".")).toList();
        this.maxBytes = vision.maxBytes().toBytes();
        this.timeout = vision.fetchTimeout();
        this.http = HttpClient.newBuilder().followRedirects(HttpClient.Redirect.NEVER).connectTimeout(timeout)
                .build();
    }

    /** An http(s) URL, without user info, on a host of the list ("name", or ".name" for its subdomains). */
    public boolean allowed(String picUrl) {
        URI uri;
        try {
            uri = picUrl == null ? null : new URI(picUrl.strip());
        } catch (Exception malformed) {
            return false;
        }
        if (uri == null || uri.getHost() == null || uri.getRawUserInfo() != null
                || !("http".equalsIgnoreCase(uri.getScheme()) || "https".equalsIgnoreCase(uri.getScheme()))) {
            return false;
        }
        String host = uri.getHost().toLowerCase(Locale.ROOT);
        for (String allowed : hosts) {
            if (allowed.startsWith(".") ? host.endsWith(allowed) : host.equals(allowed)) {
                return true;
            }
        }
        return false;
    }

    /**
     * The bytes at picUrl (which {@link #allowed} must have let through): TOO_LARGE beyond the limit, UNAVAILABLE for
     * anything else that went wrong (a status other than 200, a redirect, a refused or slow connection).
     */
    public byte[] fetch(String picUrl) throws PhotoUnreadableException, InterruptedException {
        if (!allowed(picUrl)) {
            throw new PhotoUnreadableException(PhotoUnreadableException.Reason.UNAVAILABLE,
                    "the PicUrl's host is not in chat.vision.image-hosts");
        }
        HttpRequest request = HttpRequest.newBuilder(URI.create(picUrl.strip())).timeout(timeout).GET().build();
        // what this fetch decided itself (too large): the client may report the cancelled stream instead
        AtomicReference<PhotoUnreadableException> decided = new AtomicReference<>();
        CompletableFuture<HttpResponse<byte[]>> call = http.sendAsync(request, info -> body(info, decided));
        try {
            return call.get(timeout.toNanos(), TimeUnit.NANOSECONDS).body();
        } catch (TimeoutException slow) {
            call.cancel(true);
            throw new PhotoUnreadableException(PhotoUnreadableException.Reason.UNAVAILABLE,
                    "not fetched within " + timeout.toMillis() + " ms");
        } catch (InterruptedException interrupted) {
            call.cancel(true);
            throw interrupted;
        } catch (ExecutionException failed) {
            if (decided.get() != null) {
                throw decided.get();
            }
            if (failed.getCause() instanceof PhotoUnreadableException unreadable) {
                throw unreadable;
            }
            Throwable cause = failed.getCause() == null ? failed : failed.getCause();
            throw new PhotoUnreadableException(PhotoUnreadableException.Reason.UNAVAILABLE,
                    cause.getClass().getSimpleName() + (cause.getMessage() == null ? "" : ": " + cause.getMessage()));
        }
    }

    /** The body of a 200 response, at most maxBytes of it; any other status fails at once, unread. */
    private HttpResponse.BodySubscriber<byte[]> body(HttpResponse.ResponseInfo info,
                                                     AtomicReference<PhotoUnreadableException> decided) {
        if (info.statusCode() != 200) {
            return failed(new PhotoUnreadableException(PhotoUnreadableException.Reason.UNAVAILABLE,
                    "HTTP " + info.statusCode()));
        }
        long declared = info.headers().firstValueAsLong("Content-Length").orElse(-1);
        if (declared > maxBytes) {
            return failed(tooLarge(decided));
        }
        return new CappedBody(maxBytes, () -> tooLarge(decided));
    }

    private PhotoUnreadableException tooLarge(AtomicReference<PhotoUnreadableException> decided) {
        PhotoUnreadableException tooLarge = new PhotoUnreadableException(PhotoUnreadableException.Reason.TOO_LARGE,
                "larger than " + maxBytes + " bytes");
        decided.compareAndSet(null, tooLarge);
        return tooLarge;
    }

    private static HttpResponse.BodySubscriber<byte[]> failed(Exception failure) {
        CappedBody body = new CappedBody(0, () -> failure);
        body.fail(failure);
        return body;
    }

    /** Collects a body up to a limit; beyond it, the response is abandoned and the body fails. */
    private static final class CappedBody implements HttpResponse.BodySubscriber<byte[]> {

        private final CompletableFuture<byte[]> result = new CompletableFuture<>();
        private final ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        private final long max;
        private final java.util.function.Supplier<Exception> overLimit;
        private Flow.Subscription subscription;

        CappedBody(long max, java.util.function.Supplier<Exception> overLimit) {
            this.max = max;
            this.overLimit = overLimit;
        }

        void fail(Exception failure) {
            result.completeExceptionally(failure);
        }

        @Override
        public CompletionStage<byte[]> getBody() {
            return result;
        }

        @Override
        public void onSubscribe(Flow.Subscription subscription) {
            this.subscription = subscription;
            if (result.isDone()) {
                subscription.cancel();
            } else {
                subscription.request(Long.MAX_VALUE);
            }
        }

        @Override
        public void onNext(List<ByteBuffer> items) {
            if (result.isDone()) {
                return;
            }
            for (ByteBuffer item : items) {
                if (bytes.size() + (long) item.remaining() > max) {
                    result.completeExceptionally(overLimit.get()); // first: cancelling may report an error of its own
                    subscription.cancel();
                    return;
                }
                byte[] chunk = new byte[item.remaining()];
                item.get(chunk);
                bytes.write(chunk, 0, chunk.length);
            }
        }

        @Override
        public void onError(Throwable failure) {
            result.completeExceptionally(failure);
        }

        @Override
        public void onComplete() {
            result.complete(bytes.toByteArray());
        }
    }
}

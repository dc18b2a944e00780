package io.github.oac.chat;

import java.util.Locale;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

import org.apache.camel.http.base.HttpOperationFailedException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.stereotype.Component;

import io.github.oac.config.ChatProperties;
import io.github.oac.store.Turn;
import io.github.oac.wechat.InboundMessage;
import io.github.oac.wechat.Openids;
import io.github.oac.wechat.Photo;
import io.github.oac.wechat.PhotoFetcher;
import io.github.oac.wechat.PhotoUnreadableException;
import io.github.oac.wechat.WechatApi;
import io.micrometer.core.instrument.MeterRegistry;

/**
 * Photos, as the turn and routes/photo.camel.yaml use them: what a turn with a photo asks (the photo itself, or a
 * text question with the follower's latest photo), where the bytes come from (the PicUrl on an allowed host, else
 * WeChat's media API), the request that carries them, and the follower's reply when the photo cannot be read or the
 * model takes no images. A model that refused an image gets none again until the service restarts. Called as
 * {@code photos}.
 */
@Component("photos")
public class Photos {

    private static final Logger LOG = LoggerFactory.getLogger(Photos.class);

    private final ChatProperties.Vision vision;
    private final ChatProperties.Replies texts;
    private final PhotoFetcher fetcher;
    private final ChatRequests requests;
    private final WechatApi wechatApi;
    private final MeterRegistry metrics;
    private final ModelProviders providers;
    /** Models that refused an image since the service started, as "provider model": another provider may read them. */
    private final Set<String> blind = ConcurrentHashMap.newKeySet();

    public Photos(ChatProperties properties, PhotoFetcher fetcher, ChatRequests requests, WechatApi wechatApi,
                  MeterRegistry metrics, ModelProviders providers) {
        this.metrics = metrics;
        this.providers = providers;
        this.vision = properties.vision();
        this.texts = properties.replies();
        this.fetcher = fetcher;
        this.requests = requests;
        this.wechatApi = wechatApi;
    }

    /**
     * What a turn about a photo asks: a PhotoQuestion for the follower's photo (with chat.vision.prompt), or for a
     * text question within chat.vision.keep of their latest photo (with the text); the image-unsupported reply for a
     * photo when the model takes no images. Null when the turn has no photo to go with (or the model reads none: a
     * text question then goes without it).
     */
    public Object ask(Turn turn) {
        InboundMessage message = turn.message();
        boolean sees = vision.enabled() && !blind.contains(visionModelOf(turn));
        if (message.isPhoto()) {
            if (!sees) {
                count(turn, "unsupported", "none");
                return Reply.of(texts.imageUnsupported());
            }
            return new PhotoQuestion(turn, message, vision.prompt());
        }
        if (sees && turn.photo() != null && turn.photo().isPhoto()) {
            return new PhotoQuestion(turn, turn.photo(), requests.question(message));
        }
        return null;
    }

    /**
     * The photo from its PicUrl, when that names an allowed host; null when it does not, or the fetch failed (logged):
     * then WeChat's media API is asked. A photo too large, or bytes that are no image, end here.
     */
    public Photo fromPicUrl(PhotoQuestion question) throws PhotoUnreadableException, InterruptedException {
        String picUrl = question.photo().picUrl();
        if (!fetcher.allowed(picUrl)) {
            if (picUrl != null && !picUrl.isBlank()) {
                LOG.info("Photo {} from {}: its PicUrl's host is not in chat.vision.image-hosts, asking WeChat's "
                        + "media API", question.photo().key(), Openids.masked(question.turn().openid()));
            }
            return null;
        }
        try {
            Photo photo = Photo.of(fetcher.fetch(picUrl));
            count(question.turn(), "read", "picurl");
            return photo;
        } catch (PhotoUnreadableException failed) {
            if (failed.reason() == PhotoUnreadableException.Reason.TOO_LARGE) {
                throw failed;
            }
            LOG.info("Photo {} not read from its PicUrl ({}), asking WeChat's media API", question.photo().key(),
                    failed.getMessage());
            return null;
        }
    }

    /** The MediaId for WeChat's media API; UNAVAILABLE when the message has none. */
    public String mediaId(PhotoQuestion question) throws PhotoUnreadableException {
        String mediaId = question.photo().mediaId();
        if (mediaId == null || mediaId.isBlank()) {
            throw new PhotoUnreadableException(PhotoUnreadableException.Reason.UNAVAILABLE, "no MediaId");
        }
        return mediaId.strip();
    }

    /** The media API's query: the token and the MediaId, URL-encoded. Holds the access token: never log it. */
    public String mediaQuery(String token, String mediaId) {
        return "access_token=" + encode(token) + "&media_id=" + encode(mediaId);
    }

    /**
     * How a media API call went: "done" when bytes came; else as {@link WechatApi#outcome}: "again" for a refused
     * token, a WechatApiException for an error WeChat reported (JSON instead of bytes).
     */
    public String mediaOutcome(byte[] body, Integer status, String contentType, String previous) {
        String type = contentType == null ? "" : contentType.toLowerCase(Locale.ROOT);
        boolean json = type.contains("json") || type.startsWith("text/")
                || body != null && body.length > 0 && body[0] == '{';
        if (json || status != null && status != 200) {
            return wechatApi.outcome(body == null ? "" : new String(body, java.nio.charset.StandardCharsets.UTF_8),
                    status, previous);
        }
        return "done";
    }

    /** The photo in what the media API gave: TOO_LARGE beyond chat.vision.max-bytes, NOT_AN_IMAGE unless one. */
    public Photo fromMedia(PhotoQuestion question, byte[] body) throws PhotoUnreadableException {
        if (body != null && body.length > vision.maxBytes().toBytes()) {
            throw new PhotoUnreadableException(PhotoUnreadableException.Reason.TOO_LARGE,
                    "larger than " + vision.maxBytes().toBytes() + " bytes");
        }
        Photo photo = Photo.of(body);
        count(question.turn(), "read", "media");
        return photo;
    }

    /** The model request: the question's text and the photo, for the vision model. */
    public ChatRequest request(PhotoQuestion question, Photo photo) {
        return requests.forPhoto(question.turn(), question.text(), photo.dataUrl());
    }

    /** What the follower is told when their photo cannot be read: too large, no image, or not to be had. */
    public Reply unreadable(PhotoQuestion question, Throwable failure) {
        Throwable cause = failure;
        while (cause != null && !(cause instanceof PhotoUnreadableException) && cause.getCause() != cause) {
            cause = cause.getCause();
        }
        PhotoUnreadableException.Reason reason = cause instanceof PhotoUnreadableException unreadable
                ? unreadable.reason() : PhotoUnreadableException.Reason.UNAVAILABLE;
        String why = cause != null ? cause.getMessage() : failure == null ? "unknown" : failure.getMessage();
        LOG.warn("Photo {} from {} not read ({}): {}", question.photo().key(),
                Openids.masked(question.turn().openid()), reason, why);
        count(question.turn(), reason.name().toLowerCase(Locale.ROOT).replace('_', '-'), "none");
        return Reply.of(switch (reason) {
            case TOO_LARGE -> texts.imageTooLarge();
            case NOT_AN_IMAGE -> texts.imageUnreadable();
            case UNAVAILABLE -> texts.imageUnavailable();
        });
    }

    /**
     * The model call failed: when the turn sent a photo and the provider refused image input (HTTP 400, 404 or 422
     * naming images, content parts or the model), the image-unsupported reply, and that model gets no photo again
     * (logged once). Null for any other failure: the apology's.
     */
    public Reply refused(Turn turn, Throwable failure) {
        if (turn == null || !(turn.message().isPhoto() || turn.photo() != null) || !isRefusal(failure)) {
            return null;
        }
        String model = requests.visionModel();
        count(turn, "unsupported", "none");
        if (blind.add(visionModelOf(turn))) {
            LOG.error("The model {} of provider {} refused an image (it reads none?): its photos get "
                    + "chat.replies.image-unsupported until the service restarts; set OPENAI_VISION_MODEL to a model "
                    + "that reads images", model, providers.of(turn.follower().account()));
        }
        return Reply.of(texts.imageUnsupported());
    }

    /** A provider's refusal of image input: 400, 404 or 422 whose body names images, content parts or the model. */
    public static boolean isRefusal(Throwable failure) {
        for (Throwable cause = failure; cause != null; cause = cause.getCause() == cause ? null : cause.getCause()) {
            if (cause instanceof HttpOperationFailedException http) {
                int status = http.getStatusCode();
                String body = http.getResponseBody() == null ? "" : http.getResponseBody().toLowerCase(Locale.ROOT);
                return (status == 400 || status == 404 || status == 422)
                        && (body.contains("image") || body.contains("vision") || body.contains("multimodal")
                        || body.contains("content") || body.contains("model"));
            }
        }
        return false;
    }

    /** oac.photos{outcome, source}: read (from the PicUrl or the media API), too-large, not-an-image, ... */
    private void count(Turn turn, String outcome, String source) {
        metrics.counter("oac.photos", "outcome", outcome, "source", source, io.github.oac.ops.Metrics.ACCOUNT,
                io.github.oac.ops.Metrics.named(turn == null ? null : turn.follower().account())).increment();
    }

    private static String encode(String value) {
        return java.net.URLEncoder.encode(value == null ? "" : value, java.nio.charset.StandardCharsets.UTF_8);
    }

    /** The vision model the turn's account asks, at its provider. */
    private String visionModelOf(Turn turn) {
        return providers.of(turn.follower().account()) + " " + requests.visionModel();
    }
}

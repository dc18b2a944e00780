package io.github.oac.sandbox;

import java.util.regex.Pattern;

import org.springframework.boot.autoconfigure.condition.ConditionalOnProperty;
import org.springframework.http.HttpStatus;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.RequestParam;
import org.springframework.web.bind.annotation.RestController;
import org.springframework.web.server.ResponseStatusException;
import org.springframework.web.servlet.mvc.method.annotation.SseEmitter;

/**
 * GET /sandbox/events?openid=…: the follower's conversation so far, then every bubble and trace entry as it happens,
 * as server-sent events. A Spring MVC handler rather than a route: platform-http answers once, it cannot stream.
 */
@RestController
@ConditionalOnProperty(name = "chat.sandbox.active", havingValue = "true")
public class SandboxEvents {

    private static final Pattern OPENID_SHAPE = Pattern.compile("[A-Za-z0-9_-]{1,64}");
    /** Pages reconnect on their own; a bounded stream frees what a vanished page held. */
    private static final long STREAM_MILLIS = 10 * 60 * 1000L;

    private final SandboxChats chats;

    public SandboxEvents(SandboxChats chats) {
        this.chats = chats;
    }

    @GetMapping(path = "/sandbox/events", produces = "text/event-stream")
    public SseEmitter events(@RequestParam(name = "openid", required = false) String openid) {
        if (openid == null || !OPENID_SHAPE.matcher(openid).matches()) {
            throw new ResponseStatusException(HttpStatus.BAD_REQUEST);
        }
        SseEmitter emitter = new SseEmitter(STREAM_MILLIS);
        chats.watch(openid, emitter);
        return emitter;
    }
}

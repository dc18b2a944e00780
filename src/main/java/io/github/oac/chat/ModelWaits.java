package io.github.oac.chat;

import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

import org.springframework.stereotype.Component;

import io.github.oac.store.Turn;

/**
 * The turns whose model call is still under way, by turn token, with when it began: the typing indicator waits
 * chat.wechat.typing-delay and shows only if the model has not answered by then, so a fast answer costs one WeChat
 * call, not two; and the turn's log line says how long the model took. Called as {@code modelWaits}.
 */
@Component("modelWaits")
public class ModelWaits {

    private final Map<String, Long> waiting = new ConcurrentHashMap<>();

    public void begin(Turn turn) {
        waiting.put(turn.token(), System.nanoTime());
    }

    /** The model answered (or was given up): how long that took, in ms. */
    public long end(Turn turn) {
        Long began = waiting.remove(turn.token());
        return began == null ? 0 : (System.nanoTime() - began) / 1_000_000;
    }

    public boolean stillWaiting(Turn turn) {
        return waiting.containsKey(turn.token());
    }
}

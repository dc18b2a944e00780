package io.github.oac.chat;

import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

import org.springframework.stereotype.Component;

import io.github.oac.store.Turn;

/**
 * The turns whose model call is still under way, by turn token: the typing indicator waits
 * chat.wechat.typing-delay and shows only if the model has not answered by then, so a fast answer costs one WeChat
 * call, not two. Called as {@code modelWaits}.
 */
@Component("modelWaits")
public class ModelWaits {

    private final Set<String> waiting = ConcurrentHashMap.newKeySet();

    public void begin(Turn turn) {
        waiting.add(turn.token());
    }

    public void end(Turn turn) {
        waiting.remove(turn.token());
    }

    public boolean stillWaiting(Turn turn) {
        return waiting.contains(turn.token());
    }
}

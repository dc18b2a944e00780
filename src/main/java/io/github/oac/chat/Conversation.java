package io.github.oac.chat;

import java.util.ArrayList;
import java.util.List;

import org.springframework.data.redis.core.StringRedisTemplate;
import org.springframework.stereotype.Component;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.ObjectMapper;

import io.github.oac.chat.ChatRequest.ChatMessage;
import io.github.oac.config.ChatProperties;

/**
 * A follower's recent exchanges, in Redis as JSON under {@code oac:memory:<openid>}. Only whole exchanges (question
 * and answer) are stored, bounded by count and characters with the oldest dropped first, and forgotten after the
 * idle timeout (every read and write restarts it). A follower's messages are answered one at a time (see Inbox), so
 * read-modify-write here does not race. Called as {@code conversation}.
 */
@Component("conversation")
public class Conversation {

    private static final TypeReference<List<ChatMessage>> TURNS = new TypeReference<>() {
    };

    private final StringRedisTemplate redis;
    private final ObjectMapper json;
    private final ChatProperties.Memory memory;
    private final String prefix;

    public Conversation(StringRedisTemplate redis, ObjectMapper json, ChatProperties properties) {
        this.redis = redis;
        this.json = json;
        this.memory = properties.memory();
        this.prefix = properties.redis().keyPrefix() + "memory:";
    }

    /** Past messages, oldest first; touching them keeps the conversation alive. */
    public List<ChatMessage> history(String openid) {
        String stored = redis.opsForValue().getAndExpire(prefix + openid, memory.idleTimeout());
        if (stored == null) {
            return List.of();
        }
        try {
            return json.readValue(stored, TURNS);
        } catch (JsonProcessingException unreadable) {
            return List.of(); // written by an older version, say: start afresh rather than fail the answer
        }
    }

    public void remember(String openid, String question, String answer) throws JsonProcessingException {
        List<ChatMessage> turns = new ArrayList<>(history(openid));
        turns.add(new ChatMessage("user", question));
        turns.add(new ChatMessage("assistant", answer));
        trim(turns, memory.maxTurns(), memory.maxChars());
        redis.opsForValue().set(prefix + openid, json.writeValueAsString(turns), memory.idleTimeout());
    }

    public void reset(String openid) {
        redis.delete(prefix + openid);
    }

    /** Drops the oldest exchanges until at most maxTurns exchanges and maxChars characters remain. */
    static void trim(List<ChatMessage> turns, int maxTurns, int maxChars) {
        while (!turns.isEmpty() && (turns.size() > 2 * maxTurns || chars(turns) > maxChars)) {
            turns.remove(0);
            if (!turns.isEmpty()) {
                turns.remove(0);
            }
        }
    }

    private static int chars(List<ChatMessage> turns) {
        return turns.stream().mapToInt(turn -> turn.content().length()).sum();
    }
}

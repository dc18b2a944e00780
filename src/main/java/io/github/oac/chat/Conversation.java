package io.github.oac.chat;

import java.util.ArrayList;
import java.util.List;

import org.springframework.stereotype.Component;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.ObjectMapper;

import io.github.oac.chat.ChatRequest.ChatMessage;
import io.github.oac.config.ChatProperties;

/**
 * A follower's recent exchanges, kept in Redis as JSON under {@code oac:memory:<openid>}: read with the turn
 * (Inbox.claim) and written with its commit, so a turn reads it once and a turn that lost its lease cannot write
 * it. Only whole exchanges (question and answer) are kept, bounded by count and characters with the oldest dropped
 * first; the idle timeout is Redis's. Called as {@code conversation}.
 */
@Component("conversation")
public class Conversation {

    private static final TypeReference<List<ChatMessage>> TURNS = new TypeReference<>() {
    };

    private final ObjectMapper json;
    private final ChatProperties.Memory memory;

    public Conversation(ObjectMapper json, ChatProperties properties) {
        this.json = json;
        this.memory = properties.memory();
    }

    /** Past messages, oldest first, from the stored JSON (null: none yet). */
    public List<ChatMessage> history(String stored) {
        if (stored == null || stored.isEmpty()) {
            return List.of();
        }
        try {
            return json.readValue(stored, TURNS);
        } catch (JsonProcessingException unreadable) {
            return List.of(); // written by an older version, say: start afresh rather than fail the answer
        }
    }

    /** The stored JSON with this exchange added and the oldest dropped beyond the limits. */
    public String remembered(String stored, String question, String answer) throws JsonProcessingException {
        List<ChatMessage> turns = new ArrayList<>(history(stored));
        turns.add(new ChatMessage("user", question));
        turns.add(new ChatMessage("assistant", answer));
        trim(turns, memory.maxTurns(), memory.maxChars());
        return json.writeValueAsString(turns);
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
        return turns.stream().mapToInt(turn -> turn.text().length()).sum();
    }
}

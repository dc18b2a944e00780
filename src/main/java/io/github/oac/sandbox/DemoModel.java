package io.github.oac.sandbox;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

import org.springframework.boot.autoconfigure.condition.ConditionalOnProperty;
import org.springframework.stereotype.Component;

import com.fasterxml.jackson.databind.JsonNode;

/**
 * The sandbox's built-in model, for when no OPENAI_API_KEY or OPENAI_BASE_URL is set: an OpenAI-compatible chat
 * completion that echoes the question with a little Markdown, so the real model route, formatting, splitting and 继续
 * can be seen without an account anywhere. Every answer says it comes from the demo model. A question containing
 * "long" (or 长) gets a long answer (more than five WeChat messages); one containing "retry" (or 重试) fails once with
 * 503 first, so the model route's retry shows in the trace. Called as {@code demoModel}.
 */
@ConditionalOnProperty(name = "chat.sandbox.active", havingValue = "true")
@Component("demoModel")
public class DemoModel {

    static final String LABEL = "【演示模型 Demo model】";
    private static final int PARAGRAPHS = 24;

    /** Questions that already failed once: their retry succeeds. Bounded, oldest forgotten. */
    private final Set<String> failedOnce = Collections.newSetFromMap(Collections.synchronizedMap(
            new LinkedHashMap<>(16, 0.75f, false) {
                @Override
                protected boolean removeEldestEntry(Map.Entry<String, Boolean> eldest) {
                    return size() > 1000;
                }
            }));

    /** The completion for an OpenAI chat request (already parsed): the last user message is the question. */
    public Map<String, Object> complete(JsonNode request) {
        String question = lastUserMessage(request);
        if (question == null) {
            throw new BadRequest();
        }
        String lower = question.toLowerCase(Locale.ROOT);
        if ((lower.contains("retry") || question.contains("重试")) && failedOnce.add(request.path("messages").size() + ":" + question)) {
            throw new Hiccup();
        }
        String answer = lower.contains("long") || question.contains("长") ? longAnswer(question)
                : shortAnswer(question, request.path("model").asText(""), systemPrompt(request));
        return Map.of(
                "id", "chatcmpl-demo",
                "object", "chat.completion",
                "model", "demo",
                "choices", List.of(Map.of("index", 0, "finish_reason", "stop",
                        "message", Map.of("role", "assistant", "content", answer))),
                // a rough count (a token per 4 characters), so the console and the metrics show token use too
                "usage", Map.of("prompt_tokens", (request.toString().length() + 3) / 4,
                        "completion_tokens", (answer.length() + 3) / 4));
    }

    static String shortAnswer(String question, String model, String systemPrompt) {
        return LABEL + "\n\n"
                + "## You asked\n\n"
                + "> " + question.strip().replace("\n", "\n> ") + "\n\n"
                + "- It has **" + question.codePointCount(0, question.length()) + "** characters\n"
                // what the account chose: each account can have its own model and system prompt
                + "- Asked as model **" + model + "**, with the system prompt: "
                + (systemPrompt.codePointCount(0, systemPrompt.length()) > 40
                        ? systemPrompt.substring(0, systemPrompt.offsetByCodePoints(0, 40)) + "…" : systemPrompt) + "\n"
                + "- *This* list, **bold** and `code` are Markdown: WeChat shows them as plain text\n"
                + "- Ask something with \"long\" for a long answer, \"retry\" to see a retry\n\n"
                + "Set `OPENAI_API_KEY` (or `OPENAI_BASE_URL`) for a real model.";
    }

    static String longAnswer(String question) {
        StringBuilder answer = new StringBuilder(LABEL).append("\n\n# A long answer\n\nYou asked: ")
                .append(question.strip()).append("\n\n");
        for (int i = 1; i <= PARAGRAPHS; i++) {
            answer.append("## Part ").append(i).append(" of ").append(PARAGRAPHS).append("\n\n")
                    .append("这是演示模型的第 ").append(i).append(" 段。")
                    .append("一个很长的回答会在段落之间被切成不超过 2048 字节的消息，每条用户消息最多发送五条，")
                    .append("其余的内容保存在 Redis 中，回复「继续」即可查看。".repeat(3))
                    .append(" Paragraph ").append(i)
                    .append(" of the demo answer: long answers are cut between paragraphs into WeChat messages"
                            + " of at most 2048 bytes, five per follower message; the rest waits for 继续.\n\n");
        }
        return answer.append("**The end** of the long demo answer.").toString();
    }

    private static String systemPrompt(JsonNode request) {
        JsonNode first = request.path("messages").path(0);
        return "system".equals(first.path("role").asText()) ? first.path("content").asText("") : "(none)";
    }

    private static String lastUserMessage(JsonNode request) {
        JsonNode messages = request == null ? null : request.path("messages");
        if (messages == null || !messages.isArray()) {
            return null;
        }
        for (int i = messages.size() - 1; i >= 0; i--) {
            JsonNode message = messages.get(i);
            if ("user".equals(message.path("role").asText()) && message.path("content").isTextual()) {
                return message.path("content").asText();
            }
        }
        return null;
    }

    /** Not a chat request: 400, as a real server answers. */
    public static class BadRequest extends IllegalArgumentException {
        public BadRequest() {
            super("not a chat completion request: no user message", null);
        }
    }

    /** The one failure of a "retry" question: 503, which the model route retries. */
    public static class Hiccup extends RuntimeException {
        public Hiccup() {
            super("the demo model fails a \"retry\" question once", null, false, false);
        }
    }
}

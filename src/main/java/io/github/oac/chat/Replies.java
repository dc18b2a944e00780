package io.github.oac.chat;

import org.springframework.stereotype.Component;

import io.github.oac.config.ChatProperties;
import io.github.oac.store.Turn;

/**
 * The reply a turn sends, by what the follower asked: the model's answer as plain text (with a note when the
 * question was cut), the apology, a command's reply. Called as {@code replies}.
 */
@Component("replies")
public class Replies {

    private final ChatRequests requests;
    private final AnswerFormatter formatter;
    private final ChatProperties.Replies texts;

    public Replies(ChatRequests requests, AnswerFormatter formatter, ChatProperties properties) {
        this.requests = requests;
        this.formatter = formatter;
        this.texts = properties.replies();
    }

    /** The model's answer: Markdown to plain text, remembered as the model wrote it. */
    public Reply answered(Turn turn, ModelAnswer modelAnswer) {
        String text = formatter.toPlainText(modelAnswer.text());
        if (requests.truncated(turn.message())) {
            text = texts.questionTruncated() + "\n\n" + text;
        }
        return Reply.answer(text, requests.question(turn.message()), modelAnswer);
    }

    public Reply apology() {
        return Reply.of(texts.apology());
    }

    /** A question with a word on the moderation list: not asked, not remembered. */
    public Reply blockedQuestion() {
        return Reply.of(texts.blockedQuestion());
    }

    /** An answer with a word on the moderation list: not delivered, not remembered. */
    public Reply blockedAnswer() {
        return Reply.of(texts.blockedAnswer());
    }

    public Reply resetDone() {
        return Reply.forgetting(texts.resetDone());
    }

    /** The continue command: the rest of the last long answer, or the words for nothing pending. */
    public Reply continued(Turn turn) {
        return turn.pending() == null ? Reply.of(texts.nothingPending()) : Reply.generated(turn.pending());
    }
}

package io.github.oac.wechat;

import java.util.List;
import java.util.Locale;

import org.springframework.stereotype.Component;

import io.github.oac.config.ChatProperties;

/** Recognises the texts that are commands (reset, continue) rather than questions. Called as {@code commands}. */
@Component("commands")
public class Commands {

    private final List<String> reset;
    private final List<String> continueReading;

    public Commands(ChatProperties properties) {
        this.reset = normalised(properties.commands().reset());
        this.continueReading = normalised(properties.commands().continueReading());
    }

    public boolean isReset(InboundMessage message) {
        return reset.contains(normalise(message.question()));
    }

    public boolean isContinue(InboundMessage message) {
        return continueReading.contains(normalise(message.question()));
    }

    public boolean isCommand(InboundMessage message) {
        return isReset(message) || isContinue(message);
    }

    private static List<String> normalised(List<String> texts) {
        return texts.stream().map(Commands::normalise).toList();
    }

    private static String normalise(String text) {
        return text == null ? "" : text.strip().toLowerCase(Locale.ROOT);
    }
}

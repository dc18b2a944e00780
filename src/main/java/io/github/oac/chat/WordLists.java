package io.github.oac.chat;

import java.util.LinkedHashMap;
import java.util.Map;

import org.springframework.stereotype.Component;

import io.github.oac.config.Accounts;

/**
 * Each account's word list: chat.moderation.words-file, or the account's own (chat.accounts.<name>.words-file),
 * one {@link WordList} per file however many accounts share it. Called as {@code wordLists}.
 */
@Component("wordLists")
public class WordLists {

    private final Map<String, WordList> byFile = new LinkedHashMap<>();
    private final Accounts.PerAccount<WordList> byAccount;

    public WordLists(Accounts accounts) {
        this.byAccount = accounts.each(account -> byFile.computeIfAbsent(
                account.wordsFile() == null ? "" : account.wordsFile().strip(), WordList::new));
    }

    /** Whether the text contains a word listed for the account. */
    public boolean matches(String account, String text) {
        return byAccount.of(account).matches(text);
    }

    /** Loads every list whose file changed since its last load. */
    public void reloadIfChanged() {
        byFile.values().forEach(WordList::reloadIfChanged);
    }
}

package io.github.oac.chat;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.text.Normalizer;
import java.util.LinkedHashSet;
import java.util.Locale;
import java.util.Set;

import com.ibm.icu.text.Transliterator;

import org.ahocorasick.trie.Trie;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The operator's word list (chat.moderation.words-file: one word or phrase a line, UTF-8, {@code #} comments),
 * looked for in one pass with Aho-Corasick (org.ahocorasick). The list and the text are normalised alike: Unicode
 * NFKC (full-width letters and digits become ASCII, compatibility forms fold), lower case, and every whitespace and
 * invisible formatting character (zero-width space and joiners, BOM, word joiner) removed, so that spaces or
 * zero-width characters put between a word's characters do not hide it, and traditional Chinese characters folded
 * to simplified ones (ICU's Traditional-Simplified transliteration, taken once into a table when a list is first
 * loaded: transliterating each message would cost three times the matching), so 發財 in a question matches 发财 in
 * the list and the other way round. Reloaded when the file changes (route moderation-words, through
 * {@link WordLists}).
 */
public class WordList {

    private static final Logger LOG = LoggerFactory.getLogger(WordList.class);

    private final Path file;
    private volatile Trie trie;
    private volatile int size;
    private FileTime loadedModified;
    private long loadedSize = -1;

    /** The list in the file (null or blank: an empty list), loaded now. */
    public WordList(String wordsFile) {
        this.file = wordsFile == null || wordsFile.isBlank() ? null : Path.of(wordsFile.strip());
        reloadIfChanged();
    }

    /** Loads the file again when it changed since the last load; a missing or unreadable file keeps the last list. */
    public synchronized void reloadIfChanged() {
        if (file == null) {
            return;
        }
        try {
            FileTime modified = Files.getLastModifiedTime(file);
            long bytes = Files.size(file);
            if (modified.equals(loadedModified) && bytes == loadedSize) {
                return;
            }
            long started = System.nanoTime();
            ChineseVariants.load();
            Set<String> words = new LinkedHashSet<>();
            for (String line : Files.readAllLines(file, StandardCharsets.UTF_8)) {
                String word = normalise(line.startsWith("#") ? "" : line);
                if (!word.isEmpty()) {
                    words.add(word);
                }
            }
            this.trie = words.isEmpty() ? null : Trie.builder().addKeywords(words).build();
            this.size = words.size();
            this.loadedModified = modified;
            this.loadedSize = bytes;
            LOG.info("Moderation word list {}: {} words, loaded in {} ms", file, words.size(),
                    (System.nanoTime() - started) / 1_000_000);
        } catch (IOException | RuntimeException unreadable) {
            if (loadedSize != -2) {
                LOG.warn("Moderation word list {} could not be read ({}); the last list loaded stays in force", file,
                        unreadable.getClass().getSimpleName());
            }
            loadedSize = -2; // one warning until it is readable again
            loadedModified = null;
        }
    }

    /** Whether the text contains a listed word. */
    public boolean matches(String text) {
        Trie current = trie;
        return current != null && text != null && current.containsMatch(normalise(text));
    }

    /** Words in force. */
    public int size() {
        return size;
    }

    /** NFKC, lower case, simplified Chinese, no whitespace and no invisible formatting characters. */
    static String normalise(String text) {
        String folded = Normalizer.normalize(text, Normalizer.Form.NFKC).toLowerCase(Locale.ROOT);
        StringBuilder kept = new StringBuilder(folded.length());
        folded.codePoints().filter(c -> !Character.isWhitespace(c) && !Character.isSpaceChar(c)
                && Character.getType(c) != Character.FORMAT).map(ChineseVariants::simplified)
                .forEach(kept::appendCodePoint);
        return kept.toString();
    }

    /**
     * Traditional to simplified Chinese, character by character, over the CJK blocks where the variants live
     * (U+3400 to U+9FFF). ICU's transliteration is character-based for this pair; any character it would turn into
     * more or less than one character is left alone.
     */
    static final class ChineseVariants {
        private static final int FIRST = 0x3400;
        private static final int LAST = 0x9FFF;
        private static volatile char[] simplified;

        static synchronized void load() {
            if (simplified != null) {
                return;
            }
            StringBuilder all = new StringBuilder((LAST - FIRST + 1) * 2);
            for (int c = FIRST; c <= LAST; c++) {
                all.append((char) c).append('\n');
            }
            String[] out = Transliterator.getInstance("Traditional-Simplified").transliterate(all.toString())
                    .split("\n", -1);
            char[] table = new char[LAST - FIRST + 1];
            for (int i = 0; i < table.length; i++) {
                String one = i < out.length ? out[i] : "";
                table[i] = one.length() == 1 ? one.charAt(0) : (char) (FIRST + i);
            }
            simplified = table;
        }

        static int simplified(int codePoint) {
            char[] table = simplified;
            return table == null || codePoint < FIRST || codePoint > LAST ? codePoint : table[codePoint - FIRST];
        }
    }
}

package io.github.oac.chat;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Cuts an answer into customer-service messages of at most maxBytes UTF-8 bytes each, at the last paragraph break
 * that fits, else the last sentence end, else the last grapheme boundary: never inside a code point, a surrogate
 * pair, or an emoji sequence (ZWJ families, flags, skin tones).
 */
public final class ReplySplitter {

    private static final Pattern GRAPHEME = Pattern.compile("\\X");
    private static final String SENTENCE_ENDS = "。！？；…!?;.\n";

    private ReplySplitter() {
    }

    /** The parts of a text, and what did not fit in maxParts of them. */
    public record Split(List<String> parts, String rest) {
    }

    public static List<String> split(String text, int maxBytes) {
        return split(text, maxBytes, Integer.MAX_VALUE, maxBytes).parts();
    }

    /**
     * At most maxParts parts of at most maxBytes each; when text remains after them, the last part is cut to
     * lastPartBytes instead (room for a "more to come" hint) and the remainder is returned as the rest.
     */
    public static Split split(String text, int maxBytes, int maxParts, int lastPartBytes) {
        List<String> parts = new ArrayList<>();
        String rest = text == null ? "" : text.strip();
        while (!rest.isEmpty() && parts.size() < maxParts) {
            if (bytes(rest) <= maxBytes) {
                parts.add(rest);
                rest = "";
            } else {
                int cut = cutPoint(rest, parts.size() == maxParts - 1 ? lastPartBytes : maxBytes);
                parts.add(rest.substring(0, cut).strip());
                rest = rest.substring(cut).strip();
            }
        }
        parts.removeIf(String::isEmpty);
        return new Split(parts, rest);
    }

    /** Index to cut at: the end of the longest prefix within maxBytes, moved back to the best boundary. */
    static int cutPoint(String text, int maxBytes) {
        int fits = 0; // char index of the longest grapheme-aligned prefix within maxBytes
        int used = 0;
        Matcher grapheme = GRAPHEME.matcher(text);
        while (grapheme.find()) {
            int size = bytes(grapheme.group());
            if (used + size > maxBytes) {
                break;
            }
            used += size;
            fits = grapheme.end();
        }
        if (fits == 0) {
            // a single grapheme larger than maxBytes (absurdly long combining sequence): cut on a code point
            fits = Math.max(1, text.offsetByCodePoints(0, 1));
        }
        String window = text.substring(0, fits);
        int minimum = fits / 3; // a boundary too early would leave a tiny part; then cut lower down the ladder
        int paragraph = window.lastIndexOf("\n\n");
        if (paragraph > minimum) {
            return paragraph + 2;
        }
        for (int i = window.length() - 1; i > minimum; i--) {
            if (SENTENCE_ENDS.indexOf(window.charAt(i)) >= 0
                    && (window.charAt(i) != '.' || i + 1 >= window.length() || Character.isWhitespace(window.charAt(i + 1)))) {
                return i + 1;
            }
        }
        return fits;
    }

    static int bytes(String s) {
        return s.getBytes(StandardCharsets.UTF_8).length;
    }
}

// The moderation word list's costs (issue 19): how long 100,000 words take to load, and how long one message takes
// to match against them. Not a test: numbers for the closing note and the README. Run after `mvn -q -B package
// -DskipTests` from the project root:
//
//   java -cp target/classes:$(ls ~/.m2/repository/org/ahocorasick/ahocorasick/0.6.3/ahocorasick-0.6.3.jar \
//        ~/.m2/repository/com/ibm/icu/icu4j/79.1/icu4j-79.1.jar | paste -sd:) \
//        bench/WordListBench.java [WORDS] [MESSAGES]
//
// The words are random 4-8 character strings of common CJK characters and Latin letters; the messages are
// 200-character texts that mostly match nothing (the common case), every tenth with a listed word inside, spelled
// with full-width letters, spaces or zero-width characters, half of them in traditional characters. The first run's
// load includes building the traditional-to-simplified table (once per process).

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;

public class WordListBench {

    public static void main(String[] args) throws Exception {
        int wordCount = args.length > 0 ? Integer.parseInt(args[0]) : 100_000;
        int messages = args.length > 1 ? Integer.parseInt(args[1]) : 20_000;
        Random random = new Random(20261207);
        List<String> words = new ArrayList<>();
        for (int i = 0; i < wordCount; i++) {
            words.add(text(random, 4 + random.nextInt(5)));
        }
        Path file = Files.createTempFile("words", ".txt");
        Files.write(file, words, StandardCharsets.UTF_8);

        for (int run = 0; run < 3; run++) {
            long started = System.nanoTime();
            var list = new io.github.oac.chat.WordList(file.toString());
            double loadMillis = (System.nanoTime() - started) / 1e6;

            List<String> texts = new ArrayList<>();
            for (int i = 0; i < messages; i++) {
                String text = text(random, 200);
                if (i % 10 == 0) {
                    String word = words.get(random.nextInt(words.size()));
                    text = text.substring(0, 100) + disguise(word, random) + text.substring(100);
                }
                texts.add(text);
            }
            int matched = 0;
            started = System.nanoTime();
            for (String text : texts) {
                if (list.matches(text)) {
                    matched++;
                }
            }
            double perMessageMicros = (System.nanoTime() - started) / 1e3 / messages;
            System.out.printf("run %d: %d words loaded in %.0f ms; %d messages of 200 characters matched in %.1f us each "
                    + "(%d matched)%n", run + 1, list.size(), loadMillis, messages, perMessageMicros, matched);
        }
        Files.delete(file);
    }

    private static final String CJK = "的一是在不了有和人这中大为上个国我以要他时来用们生到作地于出就分对成会可主发年动同工也能下过子说产种面而方后多定行学法所民得经十三之进着等部度家电力里如水化高自二理起小物现实加量都两体制机当使点从业本去把性好应开它合还因由其些然前外天政四日那社义事平形相全表间样与关各重新线内数正心反你明看原又么利比或但质气第向道命此变条只没结解问意建月公无系军很情者最立代想已通并提直题党程展五果料象员革位入常文总次品式活设及管特件长求老头基资边流路级少图山统接知较将组见计别她手角期根论运农指几九区强放决西被干做必战先回则任取据处队南给色光门即保治北造百规热领七海口东导器压志世金增争济阶油思术极交受联什认六共权收证改清己美再采转更单风切打白教速花带安场身车例真务具万每目至达走积示议声报斗完类八离华名确才科张信马节话米整空元况今集温传土许步群广石记需段研界拉林律叫且究观越织装影算低持音众书布复容儿须际商非验连断深难近矿千周委素技备半办青省列习响约支般史感劳便团往酸历市克何除消构府称太准精值号率族维划选标写存候毛亲快效斯院查江型眼王按格养易置派层片始却专状育厂京识适属圆包火住调满县局照参红细引听该铁价严abcdefghijklmnopqrstuvwxyz";

    private static String text(Random random, int length) {
        StringBuilder text = new StringBuilder(length);
        for (int i = 0; i < length; i++) {
            text.append(CJK.charAt(random.nextInt(CJK.length())));
        }
        return text.toString();
    }

    private static final com.ibm.icu.text.Transliterator TRADITIONAL =
            com.ibm.icu.text.Transliterator.getInstance("Simplified-Traditional");

    /**
     * The word as a follower might hide it: traditional characters, full-width Latin letters, spaces or zero-width
     * characters between.
     */
    private static String disguise(String word, Random random) {
        StringBuilder hidden = new StringBuilder();
        String written = random.nextBoolean() ? TRADITIONAL.transliterate(word) : word;
        for (char c : written.toCharArray()) {
            hidden.append(c >= 'a' && c <= 'z' && random.nextBoolean() ? (char) (c - 'a' + 'Ａ') : c);
            hidden.append(random.nextInt(3) == 0 ? (random.nextBoolean() ? " " : "\u200B") : "");
        }
        return hidden.toString();
    }
}

package io.github.oac.chat;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

/** Realistic model answers, as WeChat will show them. */
class AnswerFormatterTest {

    private final AnswerFormatter formatter = new AnswerFormatter();

    @Test
    void headingsEmphasisAndListsBecomePlainReadableText() {
        String answer = """
                ## 如何学习 Java

                学习 **Java** 需要 *耐心*，也要 ~~死记硬背~~ 多动手。

                1. 安装 JDK
                2. 写第一个程序
                   - 用 `javac` 编译
                   - 用 `java` 运行

                * 多读源码
                * 多写测试
                """;

        assertThat(formatter.toPlainText(answer)).isEqualTo("""
                如何学习 Java

                学习 Java 需要 耐心，也要 死记硬背 多动手。

                1. 安装 JDK
                2. 写第一个程序
                  • 用 javac 编译
                  • 用 java 运行

                • 多读源码
                • 多写测试""");
    }

    @Test
    void codeFencesKeepTheirLinesAndLinksShowTheirAddress() {
        String answer = """
                Use this:

                ```python
                def hello():
                    print("hi")
                ```

                See [the docs](https://docs.python.org) or <https://python.org>.
                ![diagram](https://x.example/d.png)
                """;

        assertThat(formatter.toPlainText(answer)).isEqualTo("""
                Use this:

                def hello():
                    print("hi")

                See the docs (https://docs.python.org) or https://python.org.
                diagram (https://x.example/d.png)""");
    }

    @Test
    void tablesBecomeOneLinePerRow() {
        String answer = """
                | 语言 | 年份 |
                |------|------|
                | Java | 1995 |
                | Go   | 2009 |
                """;

        assertThat(formatter.toPlainText(answer)).isEqualTo("• 语言: Java；年份: 1995\n• 语言: Go；年份: 2009");
    }

    @Test
    void quotesAndRulesStayVisible() {
        assertThat(formatter.toPlainText("> 学而时习之\n> 不亦说乎\n\n---\n\n完")).isEqualTo("｜学而时习之\n｜不亦说乎\n\n——————\n\n完");
    }

    @Test
    void plainTextPassesThrough() {
        assertThat(formatter.toPlainText("你好！今天天气不错。\n明天见。")).isEqualTo("你好！今天天气不错。\n明天见。");
    }
}

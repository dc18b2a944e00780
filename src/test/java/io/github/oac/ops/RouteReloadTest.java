package io.github.oac.ops;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.stream.Stream;

import org.awaitility.Awaitility;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.springframework.boot.test.system.CapturedOutput;
import org.springframework.boot.test.system.OutputCaptureExtension;
import org.springframework.test.context.TestPropertySource;

import io.github.oac.RouteTestSupport;

/**
 * Route reload while developing (CHAT_ROUTES_RELOAD=true, CHAT_ROUTES a folder): an edited reply text in a copied
 * route file is answered without a restart, and a route file with a YAML error is reported while the running routes
 * keep answering.
 */
@ExtendWith(OutputCaptureExtension.class)
@TestPropertySource(properties = {
        "chat.routes.reload=true",
        "camel.main.routes-include-pattern=file:" + RouteReloadTest.FOLDER + "/*.camel.yaml",
})
class RouteReloadTest extends RouteTestSupport {

    static final String FOLDER = "target/reload-routes";
    private static final Path ROUTES = Path.of(FOLDER);

    static {
        // the routes the service runs, copied before the context starts
        try {
            if (Files.exists(ROUTES)) {
                try (Stream<Path> old = Files.list(ROUTES)) {
                    for (Path file : old.toList()) {
                        Files.delete(file);
                    }
                }
            }
            Files.createDirectories(ROUTES);
            try (Stream<Path> routes = Files.list(Path.of("routes"))) {
                for (Path file : routes.filter(Files::isRegularFile).toList()) {
                    Files.copy(file, ROUTES.resolve(file.getFileName()));
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    @Test
    void anEditedReplyIsAnsweredWithoutARestartAndABrokenFileLeavesTheRoutesRunning(CapturedOutput log)
            throws Exception {
        String openid = newOpenid();
        assertThat(passiveText(postCallback(eventMessage(openid, "subscribe", null)).getBody()))
                .isEqualTo("欢迎关注！我是AI助手：直接发文字给我，我会尽快回答你（回答由人工智能生成）。");

        Path callbackRoutes = ROUTES.resolve("wechat-callback.camel.yaml");
        String original = Files.readString(callbackRoutes);
        String edited = original.replace("expression: \"{{chat.replies.welcome}}\"",
                "expression: \"欢迎！这条欢迎语来自刚保存的路由文件。\"");
        assertThat(edited).isNotEqualTo(original);
        Files.writeString(callbackRoutes, edited);

        Awaitility.await().atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(300))
                .until(() -> passiveText(postCallback(eventMessage(newOpenid(), "subscribe", null)).getBody()),
                        "欢迎！这条欢迎语来自刚保存的路由文件。"::equals);

        Files.writeString(callbackRoutes, edited.replace("- route:\n    id: wechat-dispatch",
                "- route:\n    id: wechat-dispatch\n  this is: [not yaml"));
        Awaitility.await().atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(300))
                .until(() -> log.getAll().lines().anyMatch(line -> line.contains("Error reloading routes from file")
                        && line.contains("wechat-callback.camel.yaml")) // its wording varies with the parse stage
                        && log.getAll().contains("while parsing a flow sequence")
                        && log.getAll().contains("this is: [not yaml"));
        Thread.sleep(1000); // a reload that removed routes would have done so by now
        assertThat(passiveText(postCallback(eventMessage(newOpenid(), "subscribe", null)).getBody()))
                .as("the running routes keep answering").isEqualTo("欢迎！这条欢迎语来自刚保存的路由文件。");
        stubModelAnswer("still answering");
        String asker = newOpenid();
        postCallback(textMessage(asker, newMsgId(), "after the broken save"));
        await(() -> textsSentTo(asker), texts -> !texts.isEmpty());
        assertThat(textsSentTo(asker)).containsExactly("still answering");

        Files.writeString(callbackRoutes, original);
    }
}

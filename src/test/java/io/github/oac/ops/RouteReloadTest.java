package io.github.oac.ops;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;

import org.awaitility.Awaitility;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.springframework.boot.test.system.CapturedOutput;
import org.springframework.boot.test.system.OutputCaptureExtension;
import org.springframework.test.context.TestPropertySource;

import io.github.oac.RouteTestSupport;

/**
 * Route reload while developing (CHAT_ROUTES_RELOAD=true, CHAT_ROUTES a folder): an edit of a copied route file
 * answers without a restart, and a route file with a YAML error is reported while the running routes
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
        copyRoutes(FOLDER, (name, text) -> text);
    }

    @Test
    void anEditedRouteAnswersWithoutARestartAndABrokenFileLeavesTheRoutesRunning(CapturedOutput log)
            throws Exception {
        String openid = newOpenid();
        assertThat(postCallback(textMessage(openid, newMsgId(), "before the save")).getHeaders().getContentType())
                .hasToString("text/plain;charset=UTF-8");

        // an integration engineer edits the callback's flow: its answer says which routes answered it
        Path callbackRoutes = ROUTES.resolve("wechat-callback.camel.yaml");
        String original = Files.readString(callbackRoutes);
        String edited = original.replaceFirst("constant: text/plain;charset=UTF-8",
                "constant: text/plain;charset=UTF-8;routes=edited");
        assertThat(edited).isNotEqualTo(original);
        Files.writeString(callbackRoutes, edited);

        Awaitility.await().atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(300))
                .until(() -> String.valueOf(postCallback(textMessage(newOpenid(), newMsgId(), "after the save"))
                        .getHeaders().getContentType()), type -> type.contains("routes=edited"));

        Files.writeString(callbackRoutes, edited.replace("- route:\n    id: http-reply",
                "- route:\n    id: http-reply\n  this is: [not yaml"));
        Awaitility.await().atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(300))
                .until(() -> log.getAll().lines().anyMatch(line -> line.contains("Error reloading routes from file")
                        && line.contains("wechat-callback.camel.yaml")) // its wording varies with the parse stage
                        && log.getAll().contains("while parsing a flow sequence")
                        // the parser quotes the line as far as it had read the file: maybe up to the bracket only
                        && log.getAll().contains("this is: ["));
        Thread.sleep(1000); // a reload that removed routes would have done so by now
        assertThat(String.valueOf(postCallback(textMessage(newOpenid(), newMsgId(), "after the broken save"))
                .getHeaders().getContentType())).as("the running routes keep answering")
                .contains("routes=edited");
        stubModelAnswer("still answering");
        String asker = newOpenid();
        postCallback(textMessage(asker, newMsgId(), "after the broken save"));
        await(() -> textsSentTo(asker), texts -> !texts.isEmpty());
        assertThat(textsSentTo(asker)).containsExactly("still answering");

        Files.writeString(callbackRoutes, original);
    }
}

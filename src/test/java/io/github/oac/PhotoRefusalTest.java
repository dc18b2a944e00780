package io.github.oac;

import static com.github.tomakehurst.wiremock.client.WireMock.aResponse;
import static com.github.tomakehurst.wiremock.client.WireMock.containing;
import static com.github.tomakehurst.wiremock.client.WireMock.post;
import static com.github.tomakehurst.wiremock.client.WireMock.postRequestedFor;
import static com.github.tomakehurst.wiremock.client.WireMock.urlPathEqualTo;
import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.springframework.beans.factory.annotation.Value;
import org.springframework.boot.test.system.CapturedOutput;
import org.springframework.boot.test.system.OutputCaptureExtension;
import org.springframework.test.context.TestPropertySource;

/**
 * A provider whose vision model takes no images: the first photo costs one model call (no retries), the follower is
 * told, the refusal is logged once, and later photos get the reply without a call; text questions go on as before.
 * A context of its own: what it learns lasts until the service restarts.
 */
@ExtendWith(OutputCaptureExtension.class)
@TestPropertySource(properties = "chat.vision.model=text-only-model")
class PhotoRefusalTest extends RouteTestSupport {

    @Value("${chat.replies.image-unsupported}")
    String unsupported;

    @Test
    void aModelThatRefusesImagesIsAskedOnceAndPhotosGetTheReplyAfterwards(CapturedOutput output) {
        String openid = newOpenid();
        String picUrl = PhotoTest.servePicture("/refused/" + openid + ".jpg", PhotoTest.jpeg(2_000));
        stubs.stubFor(post(urlPathEqualTo(COMPLETIONS)).withRequestBody(containing("\"image_url\"")).atPriority(1)
                .willReturn(aResponse().withStatus(400).withHeader("Content-Type", "application/json").withBody(
                        "{\"error\":{\"message\":\"Invalid content type. image_url is only supported by certain "
                                + "models.\",\"type\":\"invalid_request_error\"}}")));
        stubAnswer("文字问题", "文字回答", 0);

        for (int i = 0; i < 2; i++) {
            assertThat(postCallback(PhotoTest.photoMessage(openid, newMsgId(), picUrl, "M" + i)).getBody())
                    .isEqualTo("success");
            int answers = i + 1;
            await(() -> sendsTo(openid), list -> list.size() >= answers);
        }
        postCallback(textMessage(openid, newMsgId(), "文字问题"));
        await(() -> sendsTo(openid), list -> list.size() >= 3);
        awaitTurnsFinished(openid);

        assertThat(textsSentTo(openid)).containsExactly(unsupported, unsupported, "文字回答");
        stubs.verify(1, postRequestedFor(urlPathEqualTo(COMPLETIONS)).withRequestBody(containing("\"image_url\"")));
        stubs.verify(1, postRequestedFor(urlPathEqualTo(COMPLETIONS)).withRequestBody(
                containing("\"model\":\"text-only-model\"")));
        assertThat(output.getAll().split("refused an image", -1)).as("logged once").hasSize(2);
    }
}

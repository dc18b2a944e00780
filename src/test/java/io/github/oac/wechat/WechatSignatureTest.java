package io.github.oac.wechat;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatCode;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

/** WeChat's published examples (wechat-protocol.md section 1). */
class WechatSignatureTest {

    private static WechatSignature withToken(String token) {
        return new WechatSignature(token);
    }

    @Test
    void signsThePublishedVerificationExample() {
        assertThat(WechatSignature.sign("AAAAA", "1714036504", "1514711492"))
                .isEqualTo("f464b24fc39322e44b38aa78f5edd27bd1441696");
    }

    @Test
    void signsThePublishedPlaintextPostExample() {
        assertThat(WechatSignature.sign("AAAAA", "1714037059", "486452656"))
                .isEqualTo("899cf89e464efb63f54ddac96b0a0a235f53aa78");
    }

    @Test
    void acceptsTheRightSignatureInAnyCase() {
        WechatSignature signature = withToken("AAAAA");
        assertThatCode(() -> signature.requireValid("f464b24fc39322e44b38aa78f5edd27bd1441696", "1714036504",
                "1514711492")).doesNotThrowAnyException();
        assertThatCode(() -> signature.requireValid("F464B24FC39322E44B38AA78F5EDD27BD1441696", "1714036504",
                "1514711492")).doesNotThrowAnyException();
    }

    @Test
    void refusesWrongMissingOrTruncatedSignatures() {
        WechatSignature signature = withToken("AAAAA");
        assertThatThrownBy(() -> signature.requireValid("f464b24fc39322e44b38aa78f5edd27bd1441697", "1714036504",
                "1514711492")).isInstanceOf(ForgedCallbackException.class);
        assertThatThrownBy(() -> signature.requireValid("f464b24f", "1714036504", "1514711492"))
                .isInstanceOf(ForgedCallbackException.class);
        assertThatThrownBy(() -> signature.requireValid(null, "1714036504", "1514711492"))
                .isInstanceOf(ForgedCallbackException.class);
        assertThatThrownBy(() -> signature.requireValid("f464b24fc39322e44b38aa78f5edd27bd1441696", "1714036505",
                "1514711492")).isInstanceOf(ForgedCallbackException.class);
    }
}

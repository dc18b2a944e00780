package io.github.oac;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;
import org.springframework.http.ResponseEntity;
import org.springframework.test.context.TestPropertySource;

import io.github.oac.wechat.WechatCrypto;
import io.github.oac.wechat.WechatSignature;

/** While an operator switches an account to safe mode, WECHAT_ALLOW_PLAINTEXT lets both kinds of callback in. */
@TestPropertySource(properties = {
        "chat.wechat.encoding-aes-key=" + RouteTestSupport.AES_KEY,
        "chat.wechat.allow-plaintext=true",
})
class SafeModeSwitchTest extends RouteTestSupport {

    @Test
    void plaintextAndEncryptedCallbacksAreBothAnsweredWhileSwitchingModes() {
        String openid = newOpenid();
        stubModelAnswer("both work");
        String encrypt = new WechatCrypto(AES_KEY, APP_ID).encrypt(textMessage(openid, newMsgId(), "encrypted one"));
        String timestamp = now();
        String nonce = newNonce();

        ResponseEntity<String> plain = postCallback(textMessage(openid, newMsgId(), "plaintext one"));
        ResponseEntity<String> encrypted = postCallback("<xml><ToUserName><![CDATA[gh_test]]></ToUserName><Encrypt>"
                + "<![CDATA[" + encrypt + "]]></Encrypt></xml>", "signature=" + WechatSignature.sign(TOKEN, timestamp,
                nonce) + "&timestamp=" + timestamp + "&nonce=" + nonce + "&encrypt_type=aes&msg_signature="
                + WechatSignature.sign(TOKEN, timestamp, nonce, encrypt));

        assertThat(plain.getBody()).isEqualTo("success");
        assertThat(encrypted.getBody()).isEqualTo("success");
        await(() -> sendsTo(openid), list -> list.size() == 2);
        assertThat(modelCallsAsking("plaintext one")).hasSize(1);
        assertThat(modelCallsAsking("encrypted one")).hasSize(1);
    }
}

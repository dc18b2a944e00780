package io.github.oac.wechat;

import java.io.IOException;

import org.springframework.stereotype.Component;

import io.github.oac.config.Accounts;

/**
 * Reads a callback whose signature and timestamp CallbackGate already checked: refused when it is plaintext although
 * an EncodingAESKey is set (403), parsed without DTDs or entities, opened when encrypted (msg_signature over the
 * ciphertext, then AES, with the previous key during a rotation), and required complete with an OpenID of WeChat's
 * shape (400 otherwise). Called as {@code callbackReader}.
 */
@Component("callbackReader")
public class CallbackReader {

    private final CallbackCrypto crypto;
    private final WechatXml xml;

    public CallbackReader(CallbackCrypto crypto, WechatXml xml) {
        this.crypto = crypto;
        this.xml = xml;
    }

    /**
     * arrivedAt: epoch ms, as CallbackGate noted it (null when the request did not pass it: now); account: the one
     * whose path the callback came to, as the gate decided (null: the default one).
     */
    public Callback read(String timestamp, String nonce, String encryptType, String msgSignature, String signature,
                         Long arrivedAt, String account, String body) throws IOException {
        String to = account == null ? Accounts.DEFAULT : account;
        crypto.requireEncryptedWhenKeyed(to, encryptType);
        if (body == null || body.isEmpty()) {
            throw new MalformedCallbackException("empty callback");
        }
        InboundMessage message = xml.parse(body);
        WechatCrypto replyCrypto = null;
        if ("aes".equals(encryptType)) {
            CallbackCrypto.Opened opened = crypto.open(to, message, body, timestamp, nonce, msgSignature);
            message = xml.parse(opened.xml());
            replyCrypto = opened.crypto();
        }
        if (!message.isComplete()) {
            throw new MalformedCallbackException("incomplete callback");
        }
        // only a body opened under a key had its msg_signature checked; encrypt_type=aes without one proves nothing
        return new Callback(message, signature, replyCrypto == null ? ReplayGuard.digest(body) : null, replyCrypto,
                timestamp, nonce, arrivedAt == null ? System.currentTimeMillis() : arrivedAt, to);
    }
}

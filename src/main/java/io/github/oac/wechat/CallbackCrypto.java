package io.github.oac.wechat;

import org.apache.camel.Exchange;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.stereotype.Component;

import io.github.oac.config.ChatProperties;

/**
 * Opens encrypted callbacks (compatible and safe mode): checks msg_signature over the Encrypt value before anything
 * is decrypted, then decrypts with the current EncodingAESKey or, during a rotation, the previous one. The key that
 * worked is kept in the exchange variable {@code replyCrypto}, so a passive reply goes back under the same key.
 * Called as {@code callbackCrypto}.
 */
@Component("callbackCrypto")
public class CallbackCrypto {

    public static final String REPLY_CRYPTO = "replyCrypto";
    private static final Logger LOG = LoggerFactory.getLogger(CallbackCrypto.class);

    private final WechatSignature signature;
    private final WechatCrypto current;
    private final WechatCrypto previous;
    private final boolean allowPlaintext;

    public CallbackCrypto(WechatSignature signature, ChatProperties properties) {
        this.signature = signature;
        this.current = crypto(properties.wechat().encodingAesKey(), properties.wechat().appId());
        this.previous = crypto(properties.wechat().encodingAesKeyPrevious(), properties.wechat().appId());
        this.allowPlaintext = properties.wechat().allowPlaintext();
        if (current != null && allowPlaintext) {
            LOG.warn("WECHAT_ALLOW_PLAINTEXT is on: plaintext callbacks are accepted although an EncodingAESKey is "
                    + "set, so their bodies are not signed. Turn it off once WeChat sends encrypted callbacks.");
        }
    }

    /**
     * With an EncodingAESKey configured, WeChat sends every callback encrypted (compatible mode too). A plaintext
     * one would skip the msg_signature check over the body, so it is refused (403) unless the operator allows
     * plaintext for the minutes of switching modes (chat.wechat.allow-plaintext).
     */
    public void requireEncryptedWhenKeyed(String encryptType) {
        if (current != null && !allowPlaintext && !"aes".equals(encryptType)) {
            throw new PlaintextCallbackException();
        }
    }

    /**
     * Replaces the body (the outer message) with the decrypted XML. Without a configured key the outer message is
     * used as sent: complete in compatible mode, and refused later as incomplete in safe mode.
     */
    public void open(Exchange exchange) {
        InboundMessage outer = exchange.getMessage().getBody(InboundMessage.class);
        if (current == null) {
            LOG.warn("An encrypted callback arrived but WECHAT_ENCODING_AES_KEY is not set; using its plaintext fields");
            exchange.getMessage().setBody(exchange.getVariable("callbackXml", String.class));
            return;
        }
        String encrypt = outer.encrypt();
        if (encrypt == null || encrypt.isBlank()) {
            throw new UndecryptableCallbackException("encrypted callback without Encrypt");
        }
        String timestamp = exchange.getMessage().getHeader("timestamp", String.class);
        String nonce = exchange.getMessage().getHeader("nonce", String.class);
        signature.requireValidEncrypted(exchange.getMessage().getHeader("msg_signature", String.class), timestamp,
                nonce, encrypt);
        try {
            exchange.getMessage().setBody(current.decrypt(encrypt));
            exchange.setVariable(REPLY_CRYPTO, current);
        } catch (UndecryptableCallbackException notCurrent) {
            if (previous == null) {
                throw notCurrent;
            }
            try {
                exchange.getMessage().setBody(previous.decrypt(encrypt));
                exchange.setVariable(REPLY_CRYPTO, previous);
            } catch (UndecryptableCallbackException notPrevious) {
                throw notCurrent;
            }
        }
    }

    private static WechatCrypto crypto(String encodingAesKey, String appId) {
        return encodingAesKey == null || encodingAesKey.isBlank() ? null : new WechatCrypto(encodingAesKey.trim(), appId);
    }
}

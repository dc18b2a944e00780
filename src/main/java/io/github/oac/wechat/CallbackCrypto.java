package io.github.oac.wechat;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.stereotype.Component;

import io.github.oac.config.Accounts;
import io.github.oac.config.ChatProperties;

/**
 * Opens encrypted callbacks (compatible and safe mode): checks msg_signature over the Encrypt value before anything
 * is decrypted, then decrypts with the current EncodingAESKey or, during a rotation, the previous one. The key that
 * worked is kept in the exchange variable {@code replyCrypto}, so a passive reply goes back under the same key.
 * Called as {@code callbackCrypto}.
 */
@Component("callbackCrypto")
public class CallbackCrypto {

    private static final Logger LOG = LoggerFactory.getLogger(CallbackCrypto.class);

    private final WechatSignature signature;
    /** Each account's keys: its own EncodingAESKey (null: none) and AppID. */
    private final Accounts.PerAccount<Keyring> keyrings;
    private final boolean allowPlaintext;

    /** An account's current key and, during a rotation, the previous one (each null when not set). */
    private record Keyring(WechatCrypto current, WechatCrypto previous) {
    }

    public CallbackCrypto(WechatSignature signature, Accounts accounts, ChatProperties properties) {
        this.signature = signature;
        this.keyrings = accounts.each(account -> new Keyring(crypto(account.encodingAesKey(), account.appId()),
                crypto(account.encodingAesKeyPrevious(), account.appId())));
        this.allowPlaintext = properties.wechat().allowPlaintext();
        if (allowPlaintext && keyrings.values().stream().anyMatch(keys -> keys.current() != null)) {
            LOG.warn("WECHAT_ALLOW_PLAINTEXT is on: plaintext callbacks are accepted although an EncodingAESKey is "
                    + "set, so their bodies are not signed. Turn it off once WeChat sends encrypted callbacks.");
        }
    }

    /**
     * With an EncodingAESKey configured, WeChat sends every callback encrypted (compatible mode too). A plaintext
     * one would skip the msg_signature check over the body, so it is refused (403) unless the operator allows
     * plaintext for the minutes of switching modes (chat.wechat.allow-plaintext).
     */
    public void requireEncryptedWhenKeyed(String account, String encryptType) {
        if (keyring(account).current() != null && !allowPlaintext && !"aes".equals(encryptType)) {
            throw new PlaintextCallbackException();
        }
    }

    /** An encrypted callback opened: the inner XML, and the key that opened it (null: none was configured). */
    public record Opened(String xml, WechatCrypto crypto) {
    }

    /**
     * Opens an encrypted callback: msg_signature over its Encrypt, then AES with the current key or, during a
     * rotation, the previous one. Without a configured key the outer message is used as sent (body): complete in
     * compatible mode, and refused later as incomplete in safe mode.
     */
    public Opened open(String account, InboundMessage outer, String body, String timestamp, String nonce,
                       String msgSignature) {
        Keyring keys = keyring(account);
        WechatCrypto current = keys.current();
        WechatCrypto previous = keys.previous();
        if (current == null) {
            LOG.warn("An encrypted callback arrived but WECHAT_ENCODING_AES_KEY is not set; using its plaintext fields");
            return new Opened(body, null);
        }
        String encrypt = outer.encrypt();
        if (encrypt == null || encrypt.isBlank()) {
            throw new UndecryptableCallbackException("encrypted callback without Encrypt");
        }
        signature.forAccount(account).requireValidEncrypted(msgSignature, timestamp, nonce, encrypt);
        try {
            return new Opened(current.decrypt(encrypt), current);
        } catch (UndecryptableCallbackException notCurrent) {
            if (previous == null) {
                throw notCurrent;
            }
            try {
                return new Opened(previous.decrypt(encrypt), previous);
            } catch (UndecryptableCallbackException notPrevious) {
                throw notCurrent;
            }
        }
    }

    private Keyring keyring(String account) {
        Keyring keys = keyrings.find(account);
        if (keys == null) {
            throw new ForgedCallbackException(); // the gate lets no other account's callback through
        }
        return keys;
    }

    private static WechatCrypto crypto(String encodingAesKey, String appId) {
        return encodingAesKey == null || encodingAesKey.isBlank() ? null : new WechatCrypto(encodingAesKey.trim(), appId);
    }
}

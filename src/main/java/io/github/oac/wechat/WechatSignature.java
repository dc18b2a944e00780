package io.github.oac.wechat;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Arrays;
import java.util.HexFormat;

import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.stereotype.Component;

import io.github.oac.config.Accounts;

/**
 * WeChat's callback signature: SHA-1 over the sorted, concatenated values (token, timestamp, nonce[, Encrypt]). Each
 * account signs with its own token: the bean is the default account's, {@link #forAccount} another's. Called from the
 * callback routes as {@code wechatSignature}.
 */
@Component("wechatSignature")
public class WechatSignature {

    private final String token;
    /** Every account's signature, by name (null: this one is an account's, made by the bean). */
    private final Accounts.PerAccount<WechatSignature> accounts;

    @Autowired
    public WechatSignature(Accounts accounts) {
        this.token = accounts.of(Accounts.DEFAULT).token();
        this.accounts = accounts.each(account -> Accounts.DEFAULT.equals(account.name()) ? this
                : new WechatSignature(account.token()));
    }

    /** One token's signature, as the default account's (tests). */
    WechatSignature(String token) {
        this.token = token;
        this.accounts = null;
    }

    /** The signature of the account of that name (a callback's path named it; the gate refused unknown names). */
    public WechatSignature forAccount(String account) {
        WechatSignature signature = accounts == null ? (account == null || Accounts.DEFAULT.equals(account) ? this
                : null) : accounts.find(account);
        if (signature == null) {
            throw new ForgedCallbackException(); // an account nobody configured signs nothing
        }
        return signature;
    }

    /** Throws {@link ForgedCallbackException} unless {@code signature} is the signature of timestamp and nonce. */
    public void requireValid(String signature, String timestamp, String nonce) {
        requireSigned(signature, timestamp, nonce);
    }

    /** The same for an encrypted body: {@code msgSignature} signs timestamp, nonce and the Encrypt value. */
    public void requireValidEncrypted(String msgSignature, String timestamp, String nonce, String encrypt) {
        requireSigned(msgSignature, timestamp, nonce, encrypt);
    }

    /** Signature of values with our token, as WeChat signs and as we sign encrypted replies. */
    public String signWithToken(String... values) {
        String[] parts = new String[values.length + 1];
        parts[0] = token;
        System.arraycopy(values, 0, parts, 1, values.length);
        return sign(parts);
    }

    private void requireSigned(String signature, String... values) {
        if (signature == null || java.util.Arrays.stream(values).anyMatch(java.util.Objects::isNull)
                || !constantTimeEquals(signWithToken(values), signature)) {
            throw new ForgedCallbackException();
        }
    }

    public static String sign(String... parts) {
        String[] sorted = parts.clone();
        Arrays.sort(sorted);
        try {
            MessageDigest sha1 = MessageDigest.getInstance("SHA-1");
            return HexFormat.of().formatHex(sha1.digest(String.join("", sorted).getBytes(StandardCharsets.UTF_8)));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-1 is part of every JDK", e);
        }
    }

    // Constant time, so response timing does not reveal how much of a forged signature was right.
    private static boolean constantTimeEquals(String expected, String actual) {
        return MessageDigest.isEqual(expected.getBytes(StandardCharsets.US_ASCII),
                actual.toLowerCase(java.util.Locale.ROOT).getBytes(StandardCharsets.US_ASCII));
    }
}

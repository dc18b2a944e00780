package io.github.oac.wechat;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.SecureRandom;
import java.util.Arrays;
import java.util.Base64;

import javax.crypto.Cipher;
import javax.crypto.spec.IvParameterSpec;
import javax.crypto.spec.SecretKeySpec;

/**
 * WeChat's message encryption for one EncodingAESKey: AES-256-CBC, IV = first 16 key bytes, PKCS#7 padding to
 * 32-byte blocks (stripped here, since the JDK's PKCS5 padding only knows 16), plaintext laid out as
 * random(16) | length(4, big-endian) | message | appid.
 */
public final class WechatCrypto {

    private static final int BLOCK = 32;
    private static final SecureRandom RANDOM = new SecureRandom();

    private final SecretKeySpec key;
    private final IvParameterSpec iv;
    private final byte[] appId;

    public WechatCrypto(String encodingAesKey, String appId) {
        if (encodingAesKey == null || encodingAesKey.length() != 43) {
            throw new IllegalArgumentException("an EncodingAESKey has 43 characters");
        }
        byte[] aesKey = Base64.getDecoder().decode(encodingAesKey + "=");
        this.key = new SecretKeySpec(aesKey, "AES");
        this.iv = new IvParameterSpec(aesKey, 0, 16);
        this.appId = appId.getBytes(StandardCharsets.UTF_8);
    }

    public String encrypt(String message) {
        byte[] random = new byte[16];
        RANDOM.nextBytes(random);
        return encrypt(message, random);
    }

    /** With a given 16-byte random prefix: for the published test vectors. */
    String encrypt(String message, byte[] random) {
        byte[] text = message.getBytes(StandardCharsets.UTF_8);
        int unpadded = 16 + 4 + text.length + appId.length;
        int pad = BLOCK - unpadded % BLOCK; // 1..32: a full block when already aligned
        ByteBuffer plain = ByteBuffer.allocate(unpadded + pad);
        plain.put(random, 0, 16).putInt(text.length).put(text).put(appId);
        while (plain.hasRemaining()) {
            plain.put((byte) pad);
        }
        try {
            Cipher cipher = Cipher.getInstance("AES/CBC/NoPadding");
            cipher.init(Cipher.ENCRYPT_MODE, key, iv);
            return Base64.getEncoder().encodeToString(cipher.doFinal(plain.array()));
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("AES-256-CBC is part of every Java 17 runtime", e);
        }
    }

    /**
     * The message inside {@code encrypted}. Throws {@link UndecryptableCallbackException} for broken base64, a length that
     * is not whole blocks, bad padding, an impossible message length, or another account's AppID.
     */
    public String decrypt(String encrypted) {
        byte[] cipherText;
        try {
            cipherText = Base64.getDecoder().decode(encrypted.strip());
        } catch (IllegalArgumentException e) {
            throw new UndecryptableCallbackException("Encrypt is not base64");
        }
        if (cipherText.length == 0 || cipherText.length % 16 != 0) {
            throw new UndecryptableCallbackException("Encrypt is not whole AES blocks");
        }
        byte[] plain;
        try {
            Cipher cipher = Cipher.getInstance("AES/CBC/NoPadding");
            cipher.init(Cipher.DECRYPT_MODE, key, iv);
            plain = cipher.doFinal(cipherText);
        } catch (GeneralSecurityException e) {
            throw new UndecryptableCallbackException("Encrypt does not decrypt");
        }
        int pad = plain[plain.length - 1] & 0xff;
        if (pad < 1 || pad > BLOCK || pad > plain.length) {
            throw new UndecryptableCallbackException("bad padding");
        }
        for (int i = plain.length - pad; i < plain.length; i++) {
            if ((plain[i] & 0xff) != pad) {
                throw new UndecryptableCallbackException("bad padding");
            }
        }
        int content = plain.length - pad;
        if (content < 20) {
            throw new UndecryptableCallbackException("too short");
        }
        int length = ByteBuffer.wrap(plain, 16, 4).getInt();
        if (length < 0 || length > content - 20) { // not 20 + length: that overflows for a length near 2^31
            throw new UndecryptableCallbackException("bad message length");
        }
        byte[] sender = Arrays.copyOfRange(plain, 20 + length, content);
        if (!java.security.MessageDigest.isEqual(sender, appId)) {
            throw new UndecryptableCallbackException("message is for another AppID");
        }
        return new String(plain, 20, length, StandardCharsets.UTF_8);
    }
}

package io.github.oac.wechat;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.Random;

import org.junit.jupiter.api.Test;

/** The published vectors of wechat-protocol.md section 4, byte for byte, and round trips around them. */
class WechatCryptoTest {

    // (A) Tencent's official sample, as in WxJava's WxCryptUtilTest
    static final String A_KEY = "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG";
    static final String A_APPID = "wxb11529c136998cb6";
    static final String A_ENCRYPT =
            "jn1L23DB+6ELqJ+6bruv21Y6MD7KeIfP82D6gU39rmkgczbWwt5+3bnyg5K55bgVtVzd832WzZGMhkP72vVOfg==";

    // (B) wechatpy tests/test_crypto.py
    static final String B_KEY = "kWxPEV2UEDyxWpmPdKC3F4dgPDmOvfKX1HGnEUDS1aR";
    static final String B_APPID = "wx49f0ab532d5d035a";
    static final String B_INBOUND = "RgqEoJj5A4EMYlLvWO1F86ioRjZfaex/gePD0gOXTxpsq5Yj4GNglrBb8I2BAJVODGajiFnXBu7mCPatfjsu6IHCrsTyeDXzF6Bv283dGymzxh6ydJRvZsryDyZbLTE7rhnus50qGPMfp2wASFlzEgMW9z1ef/RD8XzaFYgm7iTdaXpXaG4+BiYyolBug/gYNx410cvkKR2/nPwBiT+P4hIiOAQqGp/TywZBtDh1yCF2KOd0gpiMZ5jSw3e29mTvmUHzkVQiMS6td7vXUaWOMZnYZlF3So2SjHnwh4jYFxdgpkHHqIrH/54SNdshoQgWYEvccTKe7FS709/5t6NMxuGhcUGAPOQipvWTT4dShyqio7mlsl5noTrb++x6En749zCpQVhDpbV6GDnTbcX2e8K9QaNWHp91eBdCRxthuL0=";
    static final String B_INBOUND_XML = "<xml><ToUserName><![CDATA[wx49f0ab532d5d035a]]></ToUserName>\n"
            + "<FromUserName><![CDATA[messense]]></FromUserName>\n<CreateTime>1411525903</CreateTime>\n"
            + "<MsgType><![CDATA[text]]></MsgType>\n<Content><![CDATA[test]]></Content>\n"
            + "<MsgId>4363689963896700987</MsgId>\n<AgentID>1</AgentID>\n</xml>";
    static final String B_REPLY = "9s4gMv99m88kKTh/H8IdkOiMg6bisoy3ypwy9H4hvSPe9nsGaqyw5hhSjdYbcrKk+j3nba4HMOTzHrluLBYqxgNcBqGsL8GqxlhZgURnAtObvesEl5nZ+uBE8bviY0LWke8Zy9V/QYKxNV2FqllNXcfmstttyIkMKCCmVbCFM2JTF5wY0nFhHZSjPUL2Q1qvSUCUld+/WIXrx0oyKQmpB6o8NRrrNrsDf03oxI1p9FxUgMnwKKZeOA/uu+2IEvEBtb7muXsVbwbgX05UPPJvFurDXafG0RQyPR+mf1nDnAtQmmNOuiR5MIkdQ39xn1vWwi1O5oazPoQJz0nTYjxxEE8kv3kFxtAGVRe3ypD3WeK2XeFYFMNMpatF9XiKzHo3";

    @Test
    void encryptsTheOfficialSampleByteForByte() {
        WechatCrypto crypto = new WechatCrypto(A_KEY, A_APPID);

        assertThat(crypto.encrypt("我是中文abcd123", "aaaabbbbccccdddd".getBytes(StandardCharsets.US_ASCII)))
                .isEqualTo(A_ENCRYPT);
        assertThat(crypto.decrypt(A_ENCRYPT)).isEqualTo("我是中文abcd123");
    }

    @Test
    void officialSampleMsgSignature() {
        assertThat(WechatSignature.sign("pamtest", "1409304348", "xxxxxx", A_ENCRYPT))
                .isEqualTo("82c962d39941aa48552f90ef55aa323dc620cc10");
    }

    @Test
    void decryptsTheWechatpyInboundVector() {
        assertThat(WechatSignature.sign("123456", "1411525903", "461056294", B_INBOUND))
                .isEqualTo("74d92dfeb87ba7c714f89d98870ae5eb62dff26d");
        assertThat(new WechatCrypto(B_KEY, B_APPID).decrypt(B_INBOUND)).isEqualTo(B_INBOUND_XML);
    }

    @Test
    void encryptsTheWechatpyReplyVectorByteForByte() {
        String reply = String.join("\n",
                "<xml>",
                "<MsgType><![CDATA[text]]></MsgType>",
                "<Content><![CDATA[test]]></Content>",
                "<FromUserName><![CDATA[wx49f0ab532d5d035a]]></FromUserName>",
                "<ToUserName><![CDATA[messense]]></ToUserName>",
                "<AgentID>1</AgentID>",
                "<CreateTime>1411525903</CreateTime>",
                "</xml>");
        WechatCrypto crypto = new WechatCrypto(B_KEY, B_APPID);

        String encrypted = crypto.encrypt(reply, "1234567890123456".getBytes(StandardCharsets.US_ASCII));

        // the test's 7 lines, in the order wechatpy's dict emits them
        assertThat(crypto.decrypt(B_REPLY)).isEqualTo(reply);
        assertThat(encrypted).isEqualTo(B_REPLY);
        assertThat(WechatSignature.sign("123456", "1411525903", "461056294", B_REPLY))
                .isEqualTo("407518b7649e86ef23978113f92d27afa9296533");
    }

    @Test
    void roundTripsEveryPaddingLengthAndMultiByteText() {
        WechatCrypto crypto = new WechatCrypto(A_KEY, A_APPID);
        Random random = new Random(42);
        String alphabet = "aZ9 你好世界😀👍🏽🇨🇳é\n<]]>&";
        // 16 + 4 + len + 18 (appid): lengths 0..70 bytes cover pads of 1..32 more than twice
        for (int length = 0; length <= 70; length++) {
            String ascii = "x".repeat(length);
            assertThat(crypto.decrypt(crypto.encrypt(ascii))).isEqualTo(ascii);
        }
        for (int i = 0; i < 300; i++) {
            StringBuilder text = new StringBuilder();
            int codePoints = random.nextInt(200);
            for (int c = 0; c < codePoints; c++) {
                text.appendCodePoint(alphabet.codePointAt(alphabet.offsetByCodePoints(0,
                        random.nextInt(alphabet.codePointCount(0, alphabet.length())))));
            }
            assertThat(crypto.decrypt(crypto.encrypt(text.toString()))).isEqualTo(text.toString());
        }
    }

    @Test
    void aFullBlockOfPaddingIsAddedWhenTheTextIsAligned() {
        WechatCrypto crypto = new WechatCrypto(A_KEY, A_APPID);
        // 16 + 4 + 26 + 18 = 64: aligned, so 32 bytes of value 32 follow
        String aligned = "x".repeat(26);
        byte[] cipherText = Base64.getDecoder().decode(crypto.encrypt(aligned));
        assertThat(cipherText).hasSize(96);
        assertThat(crypto.decrypt(crypto.encrypt(aligned))).isEqualTo(aligned);
    }

    @Test
    void refusesAnotherAccountsMessage() {
        WechatCrypto ours = new WechatCrypto(A_KEY, "wx0000000000000000");

        assertThatThrownBy(() -> ours.decrypt(A_ENCRYPT))
                .isInstanceOf(UndecryptableCallbackException.class).hasMessageContaining("AppID");
    }

    @Test
    void refusesBrokenCiphertexts() {
        WechatCrypto crypto = new WechatCrypto(A_KEY, A_APPID);
        byte[] flipped = Base64.getDecoder().decode(A_ENCRYPT);
        flipped[flipped.length - 1] ^= 0x55; // the last block decrypts to garbage, so the padding fails

        for (String broken : new String[] {"not base64 !!!", "", "AAAA", A_ENCRYPT.substring(0, 40),
                Base64.getEncoder().encodeToString(flipped)}) {
            assertThatThrownBy(() -> crypto.decrypt(broken))
                    .as(broken).isInstanceOf(UndecryptableCallbackException.class);
        }
    }

    @Test
    void aLengthFieldNear2To31IsRefusedNotAnOverflow() throws Exception {
        // random(16) | length 0x7FFFFFF0 | "x" | appid, padded to 32 bytes, encrypted as WeChat does
        byte[] appid = A_APPID.getBytes(StandardCharsets.UTF_8);
        int unpadded = 16 + 4 + 1 + appid.length;
        int pad = 32 - unpadded % 32;
        java.nio.ByteBuffer plain = java.nio.ByteBuffer.allocate(unpadded + pad);
        plain.put(new byte[16]).putInt(0x7FFFFFF0).put((byte) 'x').put(appid);
        while (plain.hasRemaining()) {
            plain.put((byte) pad);
        }
        byte[] key = Base64.getDecoder().decode(A_KEY + "=");
        javax.crypto.Cipher cipher = javax.crypto.Cipher.getInstance("AES/CBC/NoPadding");
        cipher.init(javax.crypto.Cipher.ENCRYPT_MODE, new javax.crypto.spec.SecretKeySpec(key, "AES"),
                new javax.crypto.spec.IvParameterSpec(key, 0, 16));
        String encrypt = Base64.getEncoder().encodeToString(cipher.doFinal(plain.array()));

        assertThatThrownBy(() -> new WechatCrypto(A_KEY, A_APPID).decrypt(encrypt))
                .isInstanceOf(UndecryptableCallbackException.class).hasMessageContaining("length");
    }

    @Test
    void theWrongKeyCannotOpenIt() {
        WechatCrypto other = new WechatCrypto(B_KEY, A_APPID);

        assertThatThrownBy(() -> other.decrypt(A_ENCRYPT)).isInstanceOf(UndecryptableCallbackException.class);
    }
}

package io.github.oac.wechat;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.util.List;

import org.junit.jupiter.api.Test;
import org.springframework.util.unit.DataSize;

import io.github.oac.config.ChatProperties;

/** Which PicUrls may be fetched at all, and what counts as a photo. */
class PhotoFetcherTest {

    private static PhotoFetcher fetcher(String... hosts) {
        ChatProperties.Vision vision = new ChatProperties.Vision(true, List.of(hosts), DataSize.ofMegabytes(10),
                Duration.ofSeconds(1), "describe", Duration.ofMinutes(10), "");
        return new PhotoFetcher(new ChatProperties(null, null, null, null, null, null, null, null, null, null, null,
                null, null, null, null, null, null, null, null, null, vision, null, null, null, null));
    }

    @Test
    void onlyHttpUrlsOnAListedHostOrASubdomainOfADottedEntryAreAllowed() {
        PhotoFetcher fetcher = fetcher("mmbiz.qpic.cn", ".qlogo.cn", " MMSNS.QPIC.CN ");

        assertThat(fetcher.allowed("http://mmbiz.qpic.cn/mmbiz_jpg/abc/0")).isTrue();
        assertThat(fetcher.allowed("https://MMBIZ.qpic.cn:443/x")).isTrue();
        assertThat(fetcher.allowed("https://mmsns.qpic.cn/x")).isTrue();
        assertThat(fetcher.allowed("https://wx.qlogo.cn/x")).isTrue();

        assertThat(fetcher.allowed("https://qlogo.cn/x")).as("a dotted entry: subdomains only").isFalse();
        assertThat(fetcher.allowed("http://mmbiz.qpic.cn.evil.example/x")).isFalse();
        assertThat(fetcher.allowed("http://evil.example/mmbiz.qpic.cn")).isFalse();
        assertThat(fetcher.allowed("http://mmbiz.qpic.cn@169.254.169.254/latest")).isFalse();
        assertThat(fetcher.allowed("http://user@mmbiz.qpic.cn/x")).as("no user info").isFalse();
        assertThat(fetcher.allowed("file:///etc/passwd")).isFalse();
        assertThat(fetcher.allowed("ftp://mmbiz.qpic.cn/x")).isFalse();
        assertThat(fetcher.allowed("http://127.0.0.1/x")).isFalse();
        assertThat(fetcher.allowed("not a url")).isFalse();
        assertThat(fetcher.allowed("")).isFalse();
        assertThat(fetcher.allowed(null)).isFalse();
    }

    @Test
    void aUrlOffTheListIsRefusedWithoutARequest() {
        assertThatThrownBy(() -> fetcher("mmbiz.qpic.cn").fetch("http://127.0.0.1:1/x"))
                .isInstanceOf(PhotoUnreadableException.class).hasMessageContaining("not in chat.vision.image-hosts");
    }

    @Test
    void theTypeComesFromTheBytesSignature() throws Exception {
        assertThat(Photo.of(new byte[] {(byte) 0xFF, (byte) 0xD8, (byte) 0xFF, 0}).type()).isEqualTo("image/jpeg");
        assertThat(Photo.of(new byte[] {(byte) 0x89, 'P', 'N', 'G', 0x0D, 0x0A, 0x1A, 0x0A}).type())
                .isEqualTo("image/png");
        assertThat(Photo.of("GIF89a....".getBytes()).type()).isEqualTo("image/gif");
        assertThat(Photo.of("RIFF\0\0\0\0WEBPVP8 ".getBytes()).type()).isEqualTo("image/webp");
        assertThat(Photo.of(new byte[] {(byte) 0xFF, (byte) 0xD8, (byte) 0xFF}).dataUrl())
                .isEqualTo("data:image/jpeg;base64,/9j/");

        for (byte[] notAPhoto : List.of("<html>".getBytes(), "RIFF\0\0\0\0WAVE".getBytes(), new byte[0],
                "%PDF-1.7".getBytes(), new byte[] {(byte) 0xFF, (byte) 0xD8})) {
            assertThatThrownBy(() -> Photo.of(notAPhoto)).isInstanceOf(PhotoUnreadableException.class)
                    .extracting(e -> ((PhotoUnreadableException) e).reason())
                    .isEqualTo(PhotoUnreadableException.Reason.NOT_AN_IMAGE);
        }
    }
}

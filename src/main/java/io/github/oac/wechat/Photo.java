package io.github.oac.wechat;

import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.Base64;

/**
 * A photo's bytes and their type, told by the bytes' own signature (never by a header or a file name): only the
 * types vision models read are photos here.
 */
public record Photo(byte[] bytes, String type) {

    /** The photo in these bytes; NOT_AN_IMAGE unless they start like a JPEG, PNG, GIF or WebP image. */
    public static Photo of(byte[] bytes) throws PhotoUnreadableException {
        String type = typeOf(bytes);
        if (type == null) {
            throw new PhotoUnreadableException(PhotoUnreadableException.Reason.NOT_AN_IMAGE,
                    "not a JPEG, PNG, GIF or WebP image (" + (bytes == null ? 0 : bytes.length) + " bytes)");
        }
        return new Photo(bytes, type);
    }

    /**
     * What OpenAI-compatible servers take as an image_url: {@code data:image/png;base64,…}. Encoded straight into the
     * URL's own bytes, so a photo costs its base64 twice (those bytes, then the string) rather than four times.
     */
    public String dataUrl() {
        byte[] prefix = ("data:" + type + ";base64,").getBytes(StandardCharsets.US_ASCII);
        byte[] url = new byte[prefix.length + 4 * ((bytes.length + 2) / 3)];
        System.arraycopy(prefix, 0, url, 0, prefix.length);
        ByteBuffer encoded = ByteBuffer.wrap(url, prefix.length, url.length - prefix.length);
        try (OutputStream base64 = Base64.getEncoder().wrap(new OutputStream() {
            @Override
            public void write(int b) {
                encoded.put((byte) b);
            }

            @Override
            public void write(byte[] b, int offset, int length) {
                encoded.put(b, offset, length);
            }
        })) {
            base64.write(bytes);
        } catch (IOException cannot) {
            throw new UncheckedIOException(cannot); // into an array of the right size: never
        }
        return new String(url, StandardCharsets.US_ASCII);
    }

    static String typeOf(byte[] b) {
        if (b == null) {
            return null;
        }
        if (starts(b, 0, 0xFF, 0xD8, 0xFF)) {
            return "image/jpeg";
        }
        if (starts(b, 0, 0x89, 'P', 'N', 'G', 0x0D, 0x0A, 0x1A, 0x0A)) {
            return "image/png";
        }
        if (starts(b, 0, 'G', 'I', 'F', '8', '7', 'a') || starts(b, 0, 'G', 'I', 'F', '8', '9', 'a')) {
            return "image/gif";
        }
        if (starts(b, 0, 'R', 'I', 'F', 'F') && starts(b, 8, 'W', 'E', 'B', 'P')) {
            return "image/webp";
        }
        return null;
    }

    private static boolean starts(byte[] bytes, int offset, int... signature) {
        if (bytes.length < offset + signature.length) {
            return false;
        }
        for (int i = 0; i < signature.length; i++) {
            if ((bytes[offset + i] & 0xFF) != signature[i]) {
                return false;
            }
        }
        return true;
    }

    @Override
    public String toString() {
        return "Photo[" + type + ", " + bytes.length + " bytes]"; // never the bytes
    }
}

package io.github.oac;

import java.util.concurrent.ThreadLocalRandom;

/** Random bytes that open with an image type's signature: what the service sniffs a photo's type from. */
public final class TestImages {

    private TestImages() {
    }

    public static byte[] jpeg(int size) {
        byte[] bytes = new byte[size];
        ThreadLocalRandom.current().nextBytes(bytes);
        bytes[0] = (byte) 0xFF;
        bytes[1] = (byte) 0xD8;
        bytes[2] = (byte) 0xFF;
        return bytes;
    }

    public static byte[] png(int size) {
        byte[] bytes = new byte[size];
        ThreadLocalRandom.current().nextBytes(bytes);
        System.arraycopy(new byte[] {(byte) 0x89, 'P', 'N', 'G', 0x0D, 0x0A, 0x1A, 0x0A}, 0, bytes, 0, 8);
        return bytes;
    }
}

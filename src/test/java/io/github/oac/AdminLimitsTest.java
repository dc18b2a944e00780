package io.github.oac;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.springframework.boot.test.system.CapturedOutput;
import org.springframework.boot.test.system.OutputCaptureExtension;
import org.springframework.boot.test.web.server.LocalServerPort;

/**
 * Guessing the admin token: a client address that sent chat.admin.failures-per-minute (10) wrong tokens gets 429 for
 * the rest of its minute, even with the right one, while other addresses are served; the refusals are logged as a
 * count, not once per attempt. The guesser connects from 127.0.0.2 (loopback too, but another address), so the
 * other tests' 127.0.0.1 stays unaffected.
 */
@ExtendWith(OutputCaptureExtension.class)
class AdminLimitsTest extends RouteTestSupport {

    @LocalServerPort
    int port;

    @Test
    void wrongAdminTokensFromOneAddressAreLimitedAndLoggedOnceAMinute(CapturedOutput output) throws Exception {
        int logLinesBefore = refusalLines(output.getAll());
        for (int i = 0; i < 10; i++) {
            assertThat(adminStatus("127.0.0.2", "guess-" + i)).as("guess " + i).isEqualTo(403);
        }

        assertThat(adminStatus("127.0.0.2", "guess-10")).isEqualTo(429);
        assertThat(adminStatus("127.0.0.2", ADMIN_TOKEN)).as("not even the right token, this minute").isEqualTo(429);
        assertThat(adminStatus("127.0.0.1", ADMIN_TOKEN)).as("another address is served").isEqualTo(200);
        assertThat(refusalLines(output.getAll()) - logLinesBefore).as("12 refusals, at most one log line")
                .isLessThanOrEqualTo(1);
    }

    private static int refusalLines(String log) {
        return (int) log.lines().filter(line -> line.contains("admin request(s) without the right token")).count();
    }

    /** GET /admin/stats from that local address, with that token: the status code. */
    private int adminStatus(String from, String token) throws IOException {
        try (Socket socket = new Socket()) {
            socket.bind(new InetSocketAddress(from, 0));
            socket.connect(new InetSocketAddress("127.0.0.1", port), 5000);
            socket.setSoTimeout(5000);
            socket.getOutputStream().write(("GET /admin/stats HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer "
                    + token + "\r\nConnection: close\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
            String status = new BufferedReader(new InputStreamReader(socket.getInputStream(),
                    StandardCharsets.US_ASCII)).readLine();
            return Integer.parseInt(status.split(" ")[1]);
        }
    }
}

package io.github.oac.wechat;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.net.ConnectException;
import java.net.SocketTimeoutException;
import java.net.UnknownHostException;

import org.apache.hc.client5.http.ConnectTimeoutException;
import org.apache.hc.core5.http.ConnectionRequestTimeoutException;
import org.apache.hc.core5.http.NoHttpResponseException;
import org.junit.jupiter.api.Test;
import org.springframework.dao.QueryTimeoutException;
import org.springframework.data.redis.RedisConnectionFailureException;

/** Which failed WeChat calls may have reached the follower (never repeated) and which did not (retried). */
class WechatFailuresTest {

    @Test
    void failuresBeforeTheRequestLeftAreNotTakenForASend() {
        assertThat(WechatFailures.requestLeft(new ConnectException("refused"))).isFalse();
        assertThat(WechatFailures.requestLeft(new UnknownHostException("api.weixin.qq.com"))).isFalse();
        assertThat(WechatFailures.requestLeft(new ConnectTimeoutException("connect timed out"))).isFalse();
        assertThat(WechatFailures.requestLeft(new ConnectionRequestTimeoutException("pool exhausted"))).isFalse();
        assertThat(WechatFailures.requestLeft(new AccessTokenUnavailableException("read timed out"))).isFalse();
        assertThat(WechatFailures.requestLeft(new RedisConnectionFailureException("redis down",
                new SocketTimeoutException("read timed out")))).isFalse();
        assertThat(WechatFailures.requestLeft(new QueryTimeoutException("redis slow"))).isFalse();
    }

    @Test
    void failuresAfterTheRequestLeftMayHaveArrived() {
        assertThat(WechatFailures.requestLeft(new SocketTimeoutException("read timed out"))).isTrue();
        assertThat(WechatFailures.requestLeft(new NoHttpResponseException("no response"))).isTrue();
        assertThat(WechatFailures.requestLeft(new IOException("connection reset"))).isTrue();
    }
}

package io.github.oac.store;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;
import org.springframework.boot.builder.SpringApplicationBuilder;
import org.springframework.boot.test.system.CapturedOutput;
import org.springframework.boot.test.system.OutputCaptureExtension;
import org.springframework.context.ConfigurableApplicationContext;
import org.springframework.data.redis.core.StringRedisTemplate;

import io.github.oac.Application;
import io.github.oac.config.MissingSettingException;
import redis.clients.jedis.Jedis;

/**
 * How the service finds Redis: REDIS_URL, or Spring Boot's own spring.data.redis.* settings. A URL that cannot be
 * read stops start-up with one message that says what is wrong and never shows the password.
 */
@ExtendWith(OutputCaptureExtension.class)
class RedisSettingsTest {

    private static final String[] REQUIRED = {"--chat.wechat.token=t", "--chat.wechat.app-id=wxredis",
            "--chat.wechat.app-secret=s", "--chat.openai.api-key=k", "--server.port=0", "--management.server.port=0"};

    @Test
    void aRedisUrlThatIsNotOneStopsStartUpWithoutShowingItsPassword(CapturedOutput output) {
        for (String url : List.of("redis://:pa^ss zq9x@127.0.0.1:6379", "redis://opsuser:se/cret@127.0.0.1:6379",
                "redis://:hash#secret@127.0.0.1:6379", "redis://:bad%zzsecret@127.0.0.1:6379",
                "redis://:secret@127.0.0.1:6379/x", "http://:secret@127.0.0.1:6379")) {
            assertThatThrownBy(() -> run("--chat.redis.url=" + url))
                    .as(url)
                    .isInstanceOf(MissingSettingException.class)
                    .hasMessageStartingWith("Invalid setting REDIS_URL (property chat.redis.url): ")
                    .hasMessageContaining("127.0.0.1:6379")
                    .satisfies(refused -> assertThat(refused.getMessage())
                            .doesNotContain("pa^ss").doesNotContain("zq9x").doesNotContain("cret")
                            .doesNotContain("secret").doesNotContain("opsuser").doesNotContain("\n"));
        }
        assertThat(output.getAll()).doesNotContain("pa^ss").doesNotContain("cret").doesNotContain("opsuser");
    }

    @Test
    void spring_data_redis_urlIsCheckedTheSameWay() {
        assertThatThrownBy(() -> run("--spring.data.redis.url=redis://:se/cret@127.0.0.1:6379"))
                .isInstanceOf(MissingSettingException.class)
                .hasMessageStartingWith("Invalid setting SPRING_DATA_REDIS_URL")
                .satisfies(refused -> assertThat(refused.getMessage()).doesNotContain("cret"));
    }

    @Test
    void readsEveryPartOfAUrlAndPercentEncodedCredentials() {
        RedisAddress address = RedisAddress.parse("rediss://ops%20user:p%2Fa%5Ess%40w@redis.example:6380/3");

        assertThat(address).isEqualTo(new RedisAddress("redis.example", 6380, "ops user", "p/a^ss@w", 3, true));
        assertThat(address.toString()).isEqualTo("rediss://***@redis.example:6380/3");
        assertThat(RedisAddress.parse(address.url())).isEqualTo(address);
        assertThat(RedisAddress.parse("redis://:only-password@h")).isEqualTo(
                new RedisAddress("h", 6379, null, "only-password", 0, false));
        assertThat(RedisAddress.parse("redis://h:1")).isEqualTo(new RedisAddress("h", 1, null, null, 0, false));
    }

    @Test
    void springBootsOwnHostPortAndPasswordSettingsReachTheServer(@TempDir Path dataDir) throws Exception {
        try (EmbeddedRedis server = EmbeddedRedis.start(dataDir, 0)) {
            String password = Files.readString(dataDir.resolve(EmbeddedRedis.SECRETFILE)).strip();
            try (ConfigurableApplicationContext context = run("--spring.data.redis.host=127.0.0.1",
                    "--spring.data.redis.port=" + server.port(), "--spring.data.redis.password=" + password,
                    "--spring.data.redis.database=2", "--chat.redis.data-dir=" + dataDir.resolve("unused"))) {
                context.getBean(StringRedisTemplate.class).opsForValue().set("settings-test", "reached");
            }
            try (Jedis jedis = new Jedis(server.url())) {
                jedis.select(2);
                assertThat(jedis.get("settings-test")).isEqualTo("reached");
            }
            assertThat(Files.exists(dataDir.resolve("unused"))).as("no embedded server of its own").isFalse();
        }
    }

    private static ConfigurableApplicationContext run(String... settings) {
        String[] arguments = new String[REQUIRED.length + settings.length];
        System.arraycopy(REQUIRED, 0, arguments, 0, REQUIRED.length);
        System.arraycopy(settings, 0, arguments, REQUIRED.length, settings.length);
        return new SpringApplicationBuilder(Application.class).run(arguments);
    }
}

package io.github.oac.sandbox;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;
import org.springframework.boot.WebApplicationType;
import org.springframework.boot.builder.SpringApplicationBuilder;
import org.springframework.mock.env.MockEnvironment;

import io.github.oac.Application;
import io.github.oac.config.MissingSettingException;

/** When the service starts in sandbox mode, and what it points where then. */
class SandboxSetupTest {

    private final SandboxSetup setup = new SandboxSetup();

    @Test
    void noSettingsAtAllMeanSandboxModeOnLoopbackWithTheDemoModel() {
        MockEnvironment environment = defaults();

        setup.postProcessEnvironment(environment, null);

        assertThat(environment.getProperty("chat.sandbox.active")).isEqualTo("true");
        assertThat(environment.getProperty("chat.sandbox.demo-model")).isEqualTo("true");
        assertThat(environment.getProperty("server.address")).isEqualTo("127.0.0.1");
        assertThat(environment.getProperty("chat.wechat.token")).hasSize(32);
        environment.setProperty("local.server.port", "8123"); // what the web server publishes once it listens
        assertThat(environment.getProperty("chat.wechat.api-base-url")).isEqualTo("http://127.0.0.1:8123/sandbox/api");
    }

    @Test
    void aModelServerWithoutAKeyIsUsedAsItIs() {
        MockEnvironment environment = defaults().withProperty("chat.openai.base-url", "http://localhost:11434/v1");

        setup.postProcessEnvironment(environment, null);

        assertThat(environment.getProperty("chat.sandbox.demo-model")).isNull();
        assertThat(environment.getProperty("chat.openai.base-url")).isEqualTo("http://localhost:11434/v1");
        assertThat(environment.getProperty("chat.openai.api-key")).isEqualTo("unused");
    }

    @Test
    void anExplicitAddressNeedsTheAdminToken() {
        MockEnvironment environment = defaults().withProperty("server.address", "0.0.0.0");

        assertThatThrownBy(() -> setup.postProcessEnvironment(environment, null))
                .isInstanceOf(MissingSettingException.class)
                .hasMessageContaining("ADMIN_TOKEN");

        MockEnvironment withToken = defaults().withProperty("server.address", "0.0.0.0")
                .withProperty("chat.admin.token", "t");
        setup.postProcessEnvironment(withToken, null);
        assertThat(withToken.getProperty("chat.sandbox.exposed")).isEqualTo("true");
        assertThat(withToken.getProperty("server.address")).isEqualTo("0.0.0.0");
    }

    @Test
    void wechatSettingsPresentMeanNoSandbox() {
        MockEnvironment environment = defaults().withProperty("chat.wechat.token", "t")
                .withProperty("chat.wechat.app-id", "wx").withProperty("chat.wechat.app-secret", "s");

        setup.postProcessEnvironment(environment, null);

        assertThat(environment.getProperty("chat.sandbox.active")).isNull();
    }

    @Test
    void aPartialWechatConfigurationStillStopsStartUpNamingWhatIsMissing() {
        SpringApplicationBuilder app = new SpringApplicationBuilder(Application.class).web(WebApplicationType.NONE);

        assertThatThrownBy(() -> app.run("--chat.wechat.token=t", "--chat.wechat.app-id=", "--chat.wechat.app-secret=",
                "--chat.openai.api-key=k"))
                .isInstanceOf(MissingSettingException.class)
                .hasMessage("Missing required setting WECHAT_APP_ID (property chat.wechat.app-id)");
    }

    private static MockEnvironment defaults() {
        return new MockEnvironment()
                .withProperty("chat.wechat.token", "")
                .withProperty("chat.wechat.app-id", "")
                .withProperty("chat.wechat.app-secret", "")
                .withProperty("chat.openai.api-key", "")
                .withProperty("chat.openai.base-url", SandboxSetup.DEFAULT_MODEL_URL)
                .withProperty("chat.sandbox.enabled", "false");
    }
}

package io.github.oac.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;
import org.springframework.boot.WebApplicationType;
import org.springframework.boot.builder.SpringApplicationBuilder;
import org.springframework.boot.diagnostics.FailureAnalysis;

import io.github.oac.Application;

/** Start-up without a required setting stops at once, naming the env var. */
class RequiredSettingsTest {

    @Test
    void missingApiKeyStopsStartUpNamingTheVariable() {
        SpringApplicationBuilder app = new SpringApplicationBuilder(Application.class)
                .web(WebApplicationType.NONE);

        assertThatThrownBy(() -> app.run("--chat.wechat.token=t", "--chat.wechat.app-id=wx",
                "--chat.wechat.app-secret=s", "--chat.openai.api-key="))
                .isInstanceOf(MissingSettingException.class)
                .hasMessage("Missing required setting OPENAI_API_KEY (property chat.openai.api-key)");
    }

    @Test
    void theReportIsOneLineAndNoStackTrace() {
        FailureAnalysis analysis = new MissingSettingFailureAnalyzer()
                .analyze(new MissingSettingException("WECHAT_TOKEN", "chat.wechat.token"));

        assertThat(analysis.getDescription()).isEqualTo("Missing required setting WECHAT_TOKEN (property chat.wechat.token)")
                .doesNotContain("\n");
    }
}

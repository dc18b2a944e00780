package io.github.oac.sandbox;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.boot.autoconfigure.condition.ConditionalOnProperty;
import org.springframework.boot.context.event.ApplicationReadyEvent;
import org.springframework.context.event.EventListener;
import org.springframework.core.env.Environment;
import org.springframework.stereotype.Component;

import io.github.oac.config.ChatProperties;

/** One log line saying the service runs in sandbox mode and where its page is, once it is ready. */
@ConditionalOnProperty(name = "chat.sandbox.active", havingValue = "true")
@Component
public class SandboxAnnouncement {

    private static final Logger LOG = LoggerFactory.getLogger(SandboxAnnouncement.class);

    private final ChatProperties properties;
    private final Environment environment;

    public SandboxAnnouncement(ChatProperties properties, Environment environment) {
        this.properties = properties;
        this.environment = environment;
    }

    @EventListener(ApplicationReadyEvent.class)
    public void announce() {
        boolean exposed = properties.sandbox().exposed();
        String host = exposed ? SandboxSetup.selfHost(environment.getProperty("server.address")) : "localhost";
        LOG.info("Sandbox mode: WeChat is simulated in-process and answered by {}. Chat with the bot at "
                        + "http://{}:{}/sandbox{}",
                properties.sandbox().demoModel() ? "the built-in demo model (set OPENAI_API_KEY for a real one)"
                        : "the configured model " + properties.openai().model(),
                host, environment.getProperty("local.server.port"),
                exposed ? " (listening beyond loopback: the page asks for ADMIN_TOKEN)" : " (loopback only)");
    }
}

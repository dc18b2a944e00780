package io.github.oac.config;

import java.util.HashMap;
import java.util.Map;

import org.springframework.boot.SpringApplication;
import org.springframework.boot.env.EnvironmentPostProcessor;
import org.springframework.core.Ordered;
import org.springframework.core.env.ConfigurableEnvironment;
import org.springframework.core.env.MapPropertySource;

/**
 * Waiting without threads: on Java 21 or later (and unless chat.threads.virtual=false) the web server, platform-http
 * and Camel's consumers run on virtual threads, so a question waiting seconds for the model holds no platform
 * thread and thousands can be in flight. chat.queue.consumers=auto then means 2000 consumers (each one turn in
 * flight); on Java 17's platform threads it means 50. Camel reads its switch as a JVM system property when its
 * thread pools are made, which is after this runs.
 * <p>
 * Callbacks run on Spring's task executor (platform-http hands each request to it). In hybrid and passive delivery a
 * question's callback waits up to seconds for its answer, so chat.delivery.max-waiting=auto means 10000 waiting
 * callbacks on virtual threads and 100 on platform threads, where the executor (8 threads by Spring's default) gets
 * 200, so that waiting callbacks leave room for the rest.
 */
class ThreadingSetup implements EnvironmentPostProcessor, Ordered {

    static final int VIRTUAL_CONSUMERS = 2000;
    static final int PLATFORM_CONSUMERS = 50;
    static final int VIRTUAL_WAITING = 10_000;
    static final int PLATFORM_WAITING = 100;
    static final int PLATFORM_CALLBACK_THREADS = 200;

    @Override
    public void postProcessEnvironment(ConfigurableEnvironment environment, SpringApplication application) {
        boolean virtual = Runtime.version().feature() >= 21
                && !"false".equalsIgnoreCase(environment.getProperty("chat.threads.virtual", "true").trim());
        Map<String, Object> settings = new HashMap<>();
        if (virtual) {
            settings.put("spring.threads.virtual.enabled", "true");
            if (System.getProperty("camel.threads.virtual.enabled") == null) {
                System.setProperty("camel.threads.virtual.enabled", "true");
            }
        }
        if ("auto".equalsIgnoreCase(environment.getProperty("chat.queue.consumers", "auto").trim())) {
            settings.put("chat.queue.consumers", virtual ? VIRTUAL_CONSUMERS : PLATFORM_CONSUMERS);
        }
        if ("auto".equalsIgnoreCase(environment.getProperty("chat.delivery.max-waiting", "auto").trim())) {
            settings.put("chat.delivery.max-waiting", virtual ? VIRTUAL_WAITING : PLATFORM_WAITING);
        }
        if (!virtual && environment.getProperty("spring.task.execution.pool.core-size") == null) {
            settings.put("spring.task.execution.pool.core-size", PLATFORM_CALLBACK_THREADS);
        }
        environment.getPropertySources().addFirst(new MapPropertySource("chat-threading", settings));
    }

    @Override
    public int getOrder() {
        return Ordered.LOWEST_PRECEDENCE - 1; // after application.yml and the environment are in place
    }
}

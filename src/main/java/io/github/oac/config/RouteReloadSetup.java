package io.github.oac.config;

import java.nio.file.Path;
import java.util.Arrays;
import java.util.HashMap;
import java.util.Map;

import org.apache.commons.logging.Log;
import org.springframework.boot.SpringApplication;
import org.springframework.boot.logging.DeferredLogFactory;
import org.springframework.boot.env.EnvironmentPostProcessor;
import org.springframework.core.Ordered;
import org.springframework.core.env.ConfigurableEnvironment;
import org.springframework.core.env.MapPropertySource;

/**
 * Route reload while developing: with the dev profile or CHAT_ROUTES_RELOAD=true, and CHAT_ROUTES pointing at a
 * folder (file:/path/*.camel.yaml), saving a route file there replaces that file's routes without a restart. Camel
 * 4.17 must keep the other routes (routes-reload-remove-all-routes=false: removing them all breaks on a file with
 * several routes, CAMEL-24866). A file with a YAML error is reported in the log and the running routes stay. Not
 * for production: the classpath is not watched, properties are not reloaded, and a removed platform-http route keeps
 * its web mapping until a restart.
 */
class RouteReloadSetup implements EnvironmentPostProcessor, Ordered {

    static final String RELOAD = "chat.routes.reload";

    private final Log log;

    RouteReloadSetup(DeferredLogFactory logs) {
        this.log = logs.getLog(RouteReloadSetup.class);
    }

    @Override
    public void postProcessEnvironment(ConfigurableEnvironment environment, SpringApplication application) {
        boolean dev = Arrays.asList(environment.getActiveProfiles()).contains("dev");
        boolean wanted = dev || Boolean.parseBoolean(environment.getProperty(RELOAD, "false").trim());
        if (!wanted) {
            return;
        }
        String pattern = environment.getProperty("camel.main.routes-include-pattern", "");
        Path folder = folder(pattern);
        if (folder == null) {
            log.warn("Route reload needs CHAT_ROUTES pointing at a folder (file:/path/*.camel.yaml); it is '" + pattern
                    + "', so routes are not reloaded");
            return;
        }
        log.info("Route reload is on for " + folder + ": a saved route file replaces its routes (development only)");
        Map<String, Object> settings = new HashMap<>();
        settings.put("camel.main.routes-reload-enabled", "true");
        settings.put("camel.main.routes-reload-directory", folder.toString());
        settings.put("camel.main.routes-reload-pattern", "*.camel.yaml");
        settings.put("camel.main.routes-reload-remove-all-routes", "false");
        environment.getPropertySources().addFirst(new MapPropertySource("chat-route-reload", settings));
    }

    /** The folder of a file: pattern (the part before the first wildcard), or null for classpath patterns. */
    static Path folder(String pattern) {
        String first = pattern.split(",")[0].strip();
        if (!first.startsWith("file:")) {
            return null;
        }
        String path = first.substring("file:".length());
        int wildcard = path.indexOf('*');
        String dir = wildcard < 0 ? path : path.substring(0, wildcard);
        int slash = dir.lastIndexOf('/');
        if (wildcard >= 0 || !dir.endsWith("/")) {
            dir = slash < 0 ? "." : dir.substring(0, slash + 1);
        }
        return Path.of(dir.isEmpty() ? "." : dir).toAbsolutePath().normalize();
    }

    @Override
    public int getOrder() {
        return Ordered.LOWEST_PRECEDENCE - 1;
    }
}

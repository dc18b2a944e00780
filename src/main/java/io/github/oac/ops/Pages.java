package io.github.oac.ops;

import org.springframework.context.annotation.Configuration;
import org.springframework.web.servlet.config.annotation.ViewControllerRegistry;
import org.springframework.web.servlet.config.annotation.WebMvcConfigurer;

/**
 * The two pages the service serves itself, as plain files under static/ (no build step, no CDN): /sandbox (only in
 * sandbox mode: SandboxGuard answers 404 otherwise) and /console (its data needs ADMIN_TOKEN).
 */
@Configuration(proxyBeanMethods = false)
public class Pages implements WebMvcConfigurer {

    @Override
    public void addViewControllers(ViewControllerRegistry registry) {
        registry.addViewController("/sandbox").setViewName("forward:/sandbox/index.html");
        registry.addViewController("/sandbox/").setViewName("forward:/sandbox/index.html");
        registry.addViewController("/console").setViewName("forward:/console/index.html");
        registry.addViewController("/console/").setViewName("forward:/console/index.html");
    }
}

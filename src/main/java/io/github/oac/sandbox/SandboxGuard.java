package io.github.oac.sandbox;

import java.io.IOException;
import java.util.Set;

import jakarta.servlet.FilterChain;
import jakarta.servlet.ServletException;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;

import org.springframework.boot.autoconfigure.condition.ConditionalOnProperty;
import org.springframework.boot.web.servlet.FilterRegistrationBean;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.core.Ordered;
import org.springframework.http.InvalidMediaTypeException;
import org.springframework.http.MediaType;
import org.springframework.web.filter.OncePerRequestFilter;

import io.github.oac.config.ChatProperties;
import io.github.oac.ops.AdminAuth;

/**
 * The one gate in front of everything under /sandbox, routes, events and files alike, in sandbox mode (outside it,
 * with WeChat settings present and no SANDBOX=true, none of the sandbox is loaded, and CallbackGate answers 404 for
 * every path under /sandbox, so nothing there can sign a callback or stand in for WeChat next to a real account).
 * On loopback it only lets requests through whose Host is loopback (a web
 * page elsewhere cannot rebind a name to 127.0.0.1 and drive the sandbox); listening beyond loopback, the page's
 * calls need "Authorization: Bearer ADMIN_TOKEN". The stand-in and the demo model are called by the service itself.
 * Every POST here is JSON (415 otherwise, before platform-http would parse a form) within chat.callback.max-body-size.
 */
@ConditionalOnProperty(name = "chat.sandbox.active", havingValue = "true")
@Configuration(proxyBeanMethods = false)
public class SandboxGuard {

    private static final Set<String> LOOPBACK = Set.of("localhost", "127.0.0.1", "[::1]");
    /** The page itself and its files: everything else under /sandbox is a call. */
    private static final Set<String> PAGE_FILES = Set.of("/sandbox", "/sandbox/", "/sandbox/index.html",
            "/sandbox/sandbox.js", "/sandbox/sandbox.css");

    @Bean
    FilterRegistrationBean<OncePerRequestFilter> sandboxGate(ChatProperties properties, AdminAuth adminAuth) {
        ChatProperties.Sandbox sandbox = properties.sandbox();
        long maxBody = properties.callback().maxBodySize().toBytes();
        FilterRegistrationBean<OncePerRequestFilter> registration = new FilterRegistrationBean<>(new OncePerRequestFilter() {
            /** A POST here goes on in an async dispatch once CallbackGate has read its body: checked there too. */
            @Override
            protected boolean shouldNotFilterAsyncDispatch() {
                return false;
            }

            @Override
            protected void doFilterInternal(HttpServletRequest request, HttpServletResponse response,
                                            FilterChain chain) throws ServletException, IOException {
                if (!sandbox.exposed() && !LOOPBACK.contains(hostName(request.getHeader("Host")))) {
                    response.setStatus(HttpServletResponse.SC_FORBIDDEN);
                    return;
                }
                // decided on the path as the container maps it (decoded, ";parameters" removed), never the raw URI
                String path = request.getServletPath() + (request.getPathInfo() == null ? "" : request.getPathInfo());
                if (path.startsWith("/sandbox/api/") || path.startsWith("/sandbox/demo-model/")) {
                    // the stand-in and the demo model are called by the service itself, over loopback
                    if (!loopbackAddress(request.getRemoteAddr())) {
                        response.setStatus(HttpServletResponse.SC_FORBIDDEN);
                        return;
                    }
                } else if (sandbox.exposed() && !PAGE_FILES.contains(path)) {
                    try {
                        adminAuth.require(request.getHeader("Authorization"), request.getRemoteAddr());
                    } catch (AdminAuth.Refused | AdminAuth.Limited | AdminAuth.Disabled e) {
                        response.setStatus(HttpServletResponse.SC_FORBIDDEN);
                        return;
                    }
                }
                if ("POST".equals(request.getMethod()) && !json(request.getContentType())) {
                    // before platform-http parses forms itself; and another site's page cannot post JSON here
                    response.setStatus(HttpServletResponse.SC_UNSUPPORTED_MEDIA_TYPE);
                    return;
                }
                if (request.getContentLengthLong() > maxBody) {
                    response.setStatus(HttpServletResponse.SC_REQUEST_ENTITY_TOO_LARGE);
                    return;
                }
                chain.doFilter(request, response);
            }
        });
        registration.addUrlPatterns("/sandbox", "/sandbox/*");
        registration.setOrder(Ordered.HIGHEST_PRECEDENCE + 1); // after CallbackGate's body limit
        registration.setName("sandboxGate");
        return registration;
    }

    static boolean json(String contentType) {
        try {
            return contentType != null && MediaType.APPLICATION_JSON.equalsTypeAndSubtype(
                    MediaType.parseMediaType(contentType));
        } catch (InvalidMediaTypeException e) {
            return false;
        }
    }

    static boolean loopbackAddress(String address) {
        try {
            // getRemoteAddr is an address literal: no name lookup happens
            return address != null && java.net.InetAddress.getByName(address).isLoopbackAddress();
        } catch (java.net.UnknownHostException notAnAddress) {
            return false;
        }
    }

    /** The host part of a Host header, lower case, without the port. */
    static String hostName(String host) {
        if (host == null) {
            return "";
        }
        String value = host.strip().toLowerCase(java.util.Locale.ROOT);
        int colon = value.startsWith("[") ? value.indexOf("]:") + 1 : value.lastIndexOf(':');
        return colon > 0 ? value.substring(0, colon) : value;
    }
}

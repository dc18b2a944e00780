package io.github.oac.ops;

import java.util.Map;

import org.apache.camel.Exchange;
import org.springframework.boot.actuate.health.HealthEndpoint;
import org.springframework.boot.actuate.health.Status;
import org.springframework.stereotype.Component;

/**
 * The health a load balancer or Docker sees on the public port: UP (200) or DOWN (503) and nothing else. The details
 * (which component failed, Redis, Camel), the metrics and the rest of the actuator are on the management port, which
 * listens on loopback by default. Called as {@code publicHealth}.
 */
@Component("publicHealth")
public class PublicHealth {

    private final HealthEndpoint health;

    public PublicHealth(HealthEndpoint health) {
        this.health = health;
    }

    public Map<String, String> status(Exchange exchange) {
        boolean up = Status.UP.equals(health.health().getStatus());
        exchange.getMessage().setHeader(Exchange.HTTP_RESPONSE_CODE, up ? 200 : 503);
        return Map.of("status", up ? "UP" : "DOWN");
    }
}

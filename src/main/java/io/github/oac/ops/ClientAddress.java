package io.github.oac.ops;

import org.apache.camel.Exchange;
import org.apache.camel.component.platform.http.springboot.PlatformHttpMessage;
import org.springframework.stereotype.Component;

/**
 * The address a request came from, as the connection says (never a header a client can write). For the routes:
 * {@code ${bean:clientAddress?method=of}}.
 */
@Component("clientAddress")
public class ClientAddress {

    public String of(Exchange exchange) {
        if (exchange.getMessage() instanceof PlatformHttpMessage http && http.getRequest() != null) {
            return http.getRequest().getRemoteAddr();
        }
        return "";
    }
}

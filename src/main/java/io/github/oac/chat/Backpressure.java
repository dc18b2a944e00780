package io.github.oac.chat;

import org.apache.camel.CamelContext;
import org.apache.camel.component.seda.SedaEndpoint;
import org.springframework.stereotype.Component;

/**
 * Whether the answering side can take more: the seda:chat-answer queue is bounded (chat.queue.size), and when it is
 * full a new question is turned away politely at once instead of being accepted to wait. Called as
 * {@code backpressure}.
 */
@Component("backpressure")
public class Backpressure {

    private final CamelContext camel;
    private volatile SedaEndpoint queue;

    public Backpressure(CamelContext camel) {
        this.camel = camel;
    }

    public boolean full() {
        if (queue == null) {
            queue = camel.getEndpoint("seda:chat-answer", SedaEndpoint.class);
        }
        return queue.getQueue().remainingCapacity() == 0;
    }
}

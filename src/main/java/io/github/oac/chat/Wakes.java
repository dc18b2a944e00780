package io.github.oac.chat;

import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

import org.springframework.stereotype.Component;

import io.github.oac.wechat.Follower;

/**
 * The followers this instance has queued on seda:chat-answer and not yet taken: one queued wake answers everything
 * in a follower's inbox, so a second one would only take a place in the queue. Recovery re-wakes every follower
 * nobody holds a lease on, which includes those still waiting in the queue; without this, its scans would fill the
 * queue with copies of them and new followers would be turned away as busy. Called as {@code wakes}.
 */
@Component("wakes")
public class Wakes {

    private final Set<Follower> queued = ConcurrentHashMap.newKeySet();

    /** True when the follower was not queued yet (and now counts as queued). */
    public boolean mark(Follower follower) {
        return queued.add(follower);
    }

    /** The follower's wake left the queue (taken by a consumer, or not queued after all). */
    public void taken(Follower follower) {
        queued.remove(follower);
    }
}

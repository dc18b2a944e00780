package io.github.oac.sandbox;

/**
 * One chat bubble on the sandbox page. from: "follower" (what the page sent) or "account" (what the service sent);
 * path: how it travelled (text, voice, event for the follower; passive or push for the account).
 */
public record Bubble(long at, String openid, String from, String path, String text) {
}

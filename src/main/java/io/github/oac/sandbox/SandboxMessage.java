package io.github.oac.sandbox;

/**
 * What the sandbox page asks to send as a follower: type text (content), voice (recognition: what WeChat's speech
 * recognition heard, empty when it heard nothing), subscribe, unsubscribe, or click (eventKey of a menu button); to
 * the account named (null: the default one).
 */
public record SandboxMessage(String openid, String type, String content, String recognition, String eventKey,
                             String account) {
}

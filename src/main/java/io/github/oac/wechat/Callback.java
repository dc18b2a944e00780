package io.github.oac.wechat;

/**
 * A callback as read (CallbackReader): the message, and what its reply and its admission need of the request. digest:
 * the SHA-256 of a plaintext body, whose signed request is spent once (null when msg_signature covered the body);
 * replyCrypto: the key that opened an encrypted callback, which seals its passive reply (null: plaintext);
 * arrivedAt: when the request reached the service (CallbackGate), where WeChat's 5 s start; account: the Official
 * Account it was sent to.
 */
public record Callback(InboundMessage message, String signature, String digest, WechatCrypto replyCrypto,
                       String timestamp, String nonce, long arrivedAt, String account) {

    public String openid() {
        return message.fromUserName();
    }

    /** Who sent it, in which account. */
    public Follower follower() {
        return new Follower(account, message.fromUserName());
    }
}

package io.github.oac.wechat;

/** Body of POST /cgi-bin/message/custom/typing: {"touser":…,"command":"Typing"}. */
public record TypingCommand(String touser, String command) {

    public static TypingCommand typing(Follower follower) {
        return new TypingCommand(follower.openid(), "Typing");
    }
}

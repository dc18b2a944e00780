package io.github.oac.wechat;

/** A signed request that was already used once: a captured URL sent again. Answered 403. */
public class ReplayedCallbackException extends ForgedCallbackException {

    public ReplayedCallbackException() {
        super("signed request already used");
    }
}

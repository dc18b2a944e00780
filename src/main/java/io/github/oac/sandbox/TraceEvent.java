package io.github.oac.sandbox;

/** One thing that happened to a follower's last message, as the service itself recorded it. */
public record TraceEvent(long at, String step, String detail) {
}

package io.github.oac.it;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.Predicate;

import com.github.tomakehurst.wiremock.stubbing.ServeEvent;

/**
 * A fault run's outcome, message by message (by MsgId): every question that got "success" ends in exactly one bucket
 * (answered once, apologised for, a dead letter) or counts as lost; an answer delivered twice is a duplicate, and a
 * follower's answers delivered out of order are noted. The fake model answers "answer to question <MsgId>", so each
 * delivery names its message. A question whose callbacks were all refused may still have been admitted (a 503 for
 * too few replica acknowledgements comes after the write reached the primary): it may be answered, or apologised for.
 *
 * @param asked       openid → its MsgIds, in the order asked
 * @param outcomes    MsgId → what its callbacks finally got: success, busy or refused
 * @param delivered   every send WeChat accepted, in arrival order
 * @param deadLetter  whether a MsgId is a dead letter
 */
record FaultTally(int accepted, int answered, int apologised, int dead, List<String> duplicated,
                  List<String> silent, List<String> outOfOrder) {

    static FaultTally of(Map<String, List<String>> asked, Map<String, String> outcomes, List<ServeEvent> delivered,
                         Predicate<String> deadLetter) {
        List<String> accepted = outcomes.entrySet().stream().filter(e -> "success".equals(e.getValue()))
                .map(Map.Entry::getKey).toList();
        List<String> duplicated = new ArrayList<>();
        List<String> silent = new ArrayList<>();
        List<String> outOfOrder = new ArrayList<>();
        int answered = 0;
        int apologised = 0;
        int dead = 0;
        for (Map.Entry<String, List<String>> follower : asked.entrySet()) {
            String openid = follower.getKey();
            List<Integer> at = new ArrayList<>(); // where each of its answers is among the deliveries
            int waitingForApology = 0;
            int deadHere = 0;
            int refusedUnanswered = 0;
            for (String id : follower.getValue()) {
                List<Integer> copies = indexesOf(delivered, "answer to question " + id);
                if (copies.size() > 1) {
                    duplicated.add(id);
                }
                if (!accepted.contains(id)) {
                    // turned away (busy, or Redis unreachable through WeChat's retries); a 503 for too few replica
                    // acknowledgements follows a write that reached the primary, so that message may be answered or,
                    // when the model fails it, apologised for all the same
                    if (copies.isEmpty()) {
                        refusedUnanswered++;
                    }
                    continue;
                }
                if (deadLetter.test(id)) {
                    dead++;
                    deadHere++;
                } else if (copies.size() == 1) {
                    answered++;
                    at.add(copies.get(0));
                } else {
                    waitingForApology++;
                }
            }
            long apologies = delivered.stream().filter(e -> e.getRequest().getBodyAsString()
                    .contains("\"" + openid + "\"") && e.getRequest().getBodyAsString().contains("抱歉")).count();
            if (apologies < waitingForApology || apologies > waitingForApology + deadHere + refusedUnanswered) {
                silent.add(openid + " " + follower.getValue().stream().map(id -> id + "=" + outcomes.get(id)
                        + "/" + indexesOf(delivered, "answer to question " + id).size()).toList() + " ("
                        + apologies + " apologies for " + waitingForApology + " unanswered, " + deadHere
                        + " dead letters, " + refusedUnanswered + " refused and unanswered)");
            }
            apologised += waitingForApology;
            for (int i = 1; i < at.size(); i++) {
                if (at.get(i - 1) > at.get(i)) {
                    outOfOrder.add(openid + " " + follower.getValue());
                    break;
                }
            }
        }
        return new FaultTally(accepted.size(), answered, apologised, dead, duplicated, silent, outOfOrder);
    }

    /** Accepted questions in no bucket: neither answered, apologised for, nor a dead letter. */
    int lost() {
        return accepted - answered - apologised - dead;
    }

    @Override
    public String toString() {
        return String.format("%d accepted: answered once %d, apologised %d, dead letters %d, lost %d, duplicated %d",
                accepted, answered, apologised, dead, lost(), duplicated.size());
    }

    /** Every customer-service send WeChat accepted (errcode 0, even if the service stopped waiting), in order. */
    static List<ServeEvent> acceptedSends(com.github.tomakehurst.wiremock.WireMockServer stubs) {
        return stubs.getAllServeEvents().stream()
                .filter(event -> event.getRequest().getUrl().startsWith("/cgi-bin/message/custom/send"))
                .filter(event -> event.getResponse().getBodyAsString().contains("\"errcode\":0"))
                .sorted(java.util.Comparator.comparing(event -> event.getRequest().getLoggedDate()))
                .toList();
    }

    private static List<Integer> indexesOf(List<ServeEvent> sends, String text) {
        List<Integer> indexes = new ArrayList<>();
        for (int i = 0; i < sends.size(); i++) {
            if (sends.get(i).getRequest().getBodyAsString().contains("\"" + text + "\"")) {
                indexes.add(i);
            }
        }
        return indexes;
    }
}

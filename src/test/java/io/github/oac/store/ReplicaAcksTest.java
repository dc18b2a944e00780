package io.github.oac.store;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;

import org.junit.jupiter.api.Test;

class ReplicaAcksTest {

    private static final String INFO = String.join("\r\n", "# Replication", "role:master", "connected_slaves:2",
            "slave0:ip=127.0.0.1,port=7001,state=online,offset=5210,lag=0",
            "slave1:ip=127.0.0.1,port=7002,state=wait_bgsave,offset=0,lag=0", "master_failover_state:no-failover",
            "master_repl_offset:5210", "");

    @Test
    void onlyReplicasInSyncCountForAllBecauseOneLoadingASnapshotConfirmsNothing() {
        assertThat(Script.replicasInSync(INFO)).isEqualTo(1);
        assertThat(ReplicaAcks.all(Duration.ofSeconds(1)).wanted(1)).isEqualTo(1);
    }

    @Test
    void allWantsOneReplicaFromAPrimaryThatHasNoneSoAPrimaryLeftAloneConfirmsNothing() {
        assertThat(Script.replicasInSync("# Replication\r\nrole:master\r\nconnected_slaves:0\r\n")).isZero();
        assertThat(ReplicaAcks.all(Duration.ofSeconds(1)).wanted(0)).isEqualTo(1);
        assertThat(ReplicaAcks.of(2, Duration.ofSeconds(1)).wanted(0)).isEqualTo(2);
    }
}

package org.opencluster.ops.cli.cluster;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The human table of 'cluster status', from an answer of GET /v1/cluster. */
class ClusterStatusCommandTest {

  private static final ObjectMapper JSON = new ObjectMapper();

  @Test
  void eachMemberIsARow_theLeaderMarked_unreachableShouting_agentsAndSealShown() throws Exception {
    List<List<String>> rows = ClusterStatusCommand.table(JSON.readTree("""
        {"controller": "ctl-1", "sealState": "unsealed", "leader": "pekko://opencluster@10.0.0.1:25520",
         "shardsCounted": true,
         "members": [
           {"address": "pekko://opencluster@10.0.0.1:25520", "status": "up", "reachable": true,
            "roles": ["dc-default"], "appVersion": "0.1.0", "shards": 12, "nodeEntities": 40,
            "controller": "ctl-1", "sealState": "unsealed", "agents": 38, "edge": "10.0.0.1:25530", "leaving": false},
           {"address": "pekko://opencluster@10.0.0.2:25520", "status": "leaving", "reachable": false,
            "roles": ["dc-default"], "appVersion": "0.2.0"}]}
        """));
    assertThat(rows.get(0)).containsExactly("", "CONTROLLER", "ADDRESS", "STATUS", "REACHABLE", "VERSION", "SEAL",
        "SHARDS", "NODES", "AGENTS");
    assertThat(rows.get(1)).containsExactly("*", "ctl-1", "pekko://opencluster@10.0.0.1:25520", "up", "yes", "0.1.0",
        "unsealed", "12", "40", "38");
    assertThat(rows.get(2)).containsExactly(" ", "?", "pekko://opencluster@10.0.0.2:25520", "leaving", "NO", "0.2.0",
        "?", "?", "?", "?");
  }

  @Test
  void aMemberThatBeganLeaving_showsLeavingWhileStillUp() throws Exception {
    List<List<String>> rows = ClusterStatusCommand.table(JSON.readTree("""
        {"controller": "ctl-1", "sealState": "unsealed", "leader": null, "shardsCounted": true,
         "members": [{"address": "pekko://opencluster@10.0.0.3:25520", "status": "up", "reachable": true,
                      "appVersion": "0.1.0", "controller": "ctl-3", "sealState": "unsealed", "agents": 0,
                      "leaving": true, "shards": 0, "nodeEntities": 0}]}
        """));
    assertThat(rows.get(1).get(3)).isEqualTo("leaving");
  }

  @Test
  void aSealedController_countsNoShards() throws Exception {
    List<List<String>> rows = ClusterStatusCommand.table(JSON.readTree("""
        {"controller": "ctl-1", "sealState": "sealed", "leader": null, "shardsCounted": false,
         "members": [{"address": "pekko://opencluster@10.0.0.1:25520", "status": "up", "reachable": true,
                      "roles": [], "appVersion": "0.1.0"}]}
        """));
    assertThat(rows.get(1).subList(7, 9)).containsExactly("-", "-");
  }
}

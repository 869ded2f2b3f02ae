package org.opencluster.ops.cli.cluster;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.Test;

/** 'cluster leave --wait' ends when the controller is no longer a member of the answer. */
class ClusterLeaveCommandTest {

  private static final ObjectMapper JSON = new ObjectMapper();

  @Test
  void aControllerStillListed_isAMember_untilItIsGoneOrRemoved() throws Exception {
    String address = "pekko://opencluster@10.0.0.2:25520";
    assertThat(ClusterLeaveCommand.member(JSON.readTree("""
        {"members": [{"address": "pekko://opencluster@10.0.0.2:25520", "status": "exiting"}]}
        """), address)).isTrue();
    assertThat(ClusterLeaveCommand.member(JSON.readTree("""
        {"members": [{"address": "pekko://opencluster@10.0.0.2:25520", "status": "removed"}]}
        """), address)).isFalse();
    assertThat(ClusterLeaveCommand.member(JSON.readTree("""
        {"members": [{"address": "pekko://opencluster@10.0.0.1:25520", "status": "up"}]}
        """), address)).isFalse();
  }
}

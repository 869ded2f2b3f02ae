package org.opencluster.agent;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.typesafe.config.ConfigFactory;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.opencluster.controller.Controller;
import org.opencluster.controller.testing.TestCluster;
import org.opencluster.persistence.testing.TestDatabases;

/**
 * Agents as real processes ('opencluster agent --config FILE', the file naming the bundle, as a
 * service starts one; the launcher and the runnable jar)
 * against real controllers in this JVM: they enrol, heartbeat and keep their lease renewed; when
 * the controller an agent talks to stops, it carries on through the other one without enrolling
 * again, and its node is never quarantined; an agent paused past its deadline is quarantined, and
 * when it resumes it is told so, wipes, and exits with its distinct code.
 */
class AgentProcessIT {

  private static final Pattern ENROLLED = Pattern.compile("Enrolled with opencluster://controller/ctl-\\d at (\\S+):");

  @TempDir
  Path tmp;

  @Test
  void anAgentProcess_carriesOnThroughTheOtherController_whenItsControllerStops() throws Exception {
    try (Testbed testbed = new Testbed(tmp, TestDatabases.freshH2())) {
      int seed = TestCluster.freePort();
      Controller first = testbed.controller("ctl-1", seed, List.of(seed), ConfigFactory.empty());
      Controller second = testbed.controller("ctl-2", TestCluster.freePort(), List.of(seed), ConfigFactory.empty());
      Path bundle = testbed.register(first, "web-1", "reusable", List.of(testbed.edgeOf(first), testbed.edgeOf(second)));
      Path log = tmp.resolve("agent.log");
      Process agent = startAgent(bundle, log, "boot-process");
      try {
        await().atMost(Duration.ofSeconds(60)).until(() -> Files.readString(log).contains("Enrolled with"));
        await().atMost(Duration.ofSeconds(30)).until(() -> "active".equals(testbed.status(first, "web-1").path("stage").asText()));
        Instant firstLease = Instant.parse(testbed.status(first, "web-1").path("leaseExpiresAt").asText());
        await().atMost(Duration.ofSeconds(10)).until(() -> leaseOf(testbed, first).isAfter(firstLease));

        Matcher enrolledWith = ENROLLED.matcher(Files.readString(log));
        assertThat(enrolledWith.find()).isTrue();
        // the edge the agent talks to, not the controller whose entity answered (sharding may place the node anywhere)
        Controller talkingTo = enrolledWith.group(1).equals(testbed.edgeOf(first)) ? first : second;
        Controller remaining = talkingTo == first ? second : first;
        Instant stoppedAt = Instant.now();
        testbed.cluster().stop(talkingTo);

        Duration deadline = remaining.settings().nodes().heartbeatDeadline();
        await().atMost(Duration.ofSeconds(90)).until(() -> {
          var status = testbed.status(remaining, "web-1");
          return status.has("lastHeartbeatAt")
              && Instant.parse(status.path("lastHeartbeatAt").asText()).isAfter(stoppedAt.plus(deadline).plusSeconds(1));
        });
        var status = testbed.status(remaining, "web-1");
        assertThat(status.path("stage").asText()).as("no quarantine through the fail-over").isEqualTo("active");
        assertThat(agent.isAlive()).isTrue();
        String output = Files.readString(log);
        assertThat(output).contains("Carrying on with");
        assertThat(output).as("the session went on: no second enrolment").doesNotContain("(attempt 2)");
        agent.destroy();
        assertThat(agent.waitFor(30, TimeUnit.SECONDS)).as("SIGTERM stops the agent").isTrue();
        assertThat(Files.readString(log)).doesNotContain("lease lapsed");
      } finally {
        agent.destroy();
        agent.waitFor(30, TimeUnit.SECONDS);
        System.out.println("---- the agent's log ----\n" + Files.readString(log));
      }
    }
  }

  @Test
  void anAgentPausedPastItsDeadline_isQuarantined_andOnResumingWipesAndExitsWithTen() throws Exception {
    try (Testbed testbed = new Testbed(tmp, TestDatabases.freshH2())) {
      Controller controller = testbed.controller("ctl-1");
      Path bundle = testbed.register(controller, "paused-1");
      Path log = tmp.resolve("paused.log");
      Process agent = startAgent(bundle, log, "boot-paused");
      try {
        await().atMost(Duration.ofSeconds(60)).until(() -> "active".equals(testbed.status(controller, "paused-1").path("stage").asText()));
        signal("STOP", agent);
        await().atMost(Duration.ofSeconds(30)).until(() -> "quarantined".equals(testbed.status(controller, "paused-1").path("stage").asText()));
        assertThat(testbed.status(controller, "paused-1").path("quarantineReason").asText()).isEqualTo("heartbeat_missed");
        signal("CONT", agent);
        assertThat(agent.waitFor(60, TimeUnit.SECONDS)).as("the agent stops by itself").isTrue();
        assertThat(agent.exitValue()).as(Files.readString(log)).isEqualTo(Agent.Outcome.QUARANTINED.exitCode());
        assertThat(Files.readString(log)).contains("Stopping and wiping what this agent holds").contains("quarantined (HEARTBEAT_MISSED");
      } finally {
        if (agent.isAlive()) {
          signal("CONT", agent);
          agent.destroyForcibly();
        }
        System.out.println("---- the agent's log ----\n" + Files.readString(log));
      }
    }
  }

  private Process startAgent(Path bundle, Path log, String bootId) throws IOException {
    return Testbed.startAgentProcess(tmp, bundle, log, bootId);
  }

  private static Instant leaseOf(Testbed testbed, Controller controller) throws Exception {
    return Instant.parse(testbed.status(controller, "web-1").path("leaseExpiresAt").asText());
  }

  private static void signal(String signal, Process process) throws Exception {
    Testbed.signal(signal, process);
  }
}

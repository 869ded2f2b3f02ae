package org.opencluster.agent;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.apache.pekko.actor.AbstractActor;
import org.apache.pekko.actor.ActorRef;
import org.apache.pekko.actor.ActorSelection;
import org.apache.pekko.actor.ActorSystem;
import org.apache.pekko.actor.Props;
import org.opencluster.protocol.edge.EdgeSystem;
import org.opencluster.protocol.tls.ReloadingTlsContext;
import org.opencluster.protocol.tls.TlsPolicy;

/**
 * An attacker's agent for the edge's negative tests: a real actor system on the edge link with the
 * TLS material of some bundle, able to send anything to any path of a controller's edge and to
 * collect whatever comes back. Nothing in it follows the protocol unless the test makes it.
 */
final class RogueAgent implements AutoCloseable {

  private final ActorSystem system;
  private final ActorRef inbox;
  private final BlockingQueue<Object> received = new LinkedBlockingQueue<>();

  /**
   * @param bundle the bundle whose certificate and key it presents
   * @param extra settings over the edge's (to turn Java serialization on, say)
   */
  RogueAgent(Path bundle, Config extra) throws Exception {
    ReloadingTlsContext tls = ReloadingTlsContext.load(bundle.resolve("node.pem"), bundle.resolve("node.key"),
        bundle.resolve("ca.pem"), TlsPolicy.clientOfControllers(refusal -> { }, Clock.systemUTC()), Duration.ofMinutes(1), e -> { });
    system = EdgeSystem.start("opencluster-agent", "127.0.0.1", 0, List.of(), false, tls, extra,
        RogueAgent.class.getClassLoader());
    inbox = system.actorOf(Props.create(Inbox.class, () -> new Inbox(received)), "inbox");
  }

  RogueAgent(Path bundle) throws Exception {
    this(bundle, ConfigFactory.empty());
  }

  /** Sends {@code message} to {@code path} on {@code edge} (host:port), replies coming to the inbox. */
  void send(String edge, String path, Object message) {
    selection(edge, path).tell(message, inbox);
  }

  ActorSelection selection(String edge, String path) {
    return system.actorSelection("pekko://opencluster-edge@" + edge + path);
  }

  /** The next message that came back, or null after {@code wait}. */
  Object next(Duration wait) throws InterruptedException {
    return received.poll(wait.toMillis(), TimeUnit.MILLISECONDS);
  }

  ActorSystem system() {
    return system;
  }

  ActorRef inbox() {
    return inbox;
  }

  @Override
  public void close() {
    EdgeSystem.terminate(system, Duration.ofSeconds(10)); // apache/pekko#3247: it may not finish; the test is over
  }

  /** Collects everything sent to it. */
  static final class Inbox extends AbstractActor {
    private final BlockingQueue<Object> received;

    Inbox(BlockingQueue<Object> received) {
      this.received = received;
    }

    @Override
    public Receive createReceive() {
      return receiveBuilder().matchAny(received::add).build();
    }
  }
}

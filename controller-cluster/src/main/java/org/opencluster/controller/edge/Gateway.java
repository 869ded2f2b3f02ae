package org.opencluster.controller.edge;

import com.google.protobuf.InvalidProtocolBufferException;
import java.time.Duration;
import java.util.function.BooleanSupplier;
import org.apache.pekko.actor.AbstractActor;
import org.apache.pekko.actor.ActorRef;
import org.apache.pekko.actor.Props;
import org.apache.pekko.cluster.sharding.typed.javadsl.ClusterSharding;
import org.apache.pekko.event.Logging;
import org.apache.pekko.event.LoggingAdapter;
import org.opencluster.controller.node.NodeEntity;
import org.opencluster.protocol.agent.v1.Frame;
import org.opencluster.protocol.agent.v1.Hello;
import org.opencluster.protocol.agent.v1.Refused;
import org.opencluster.protocol.agent.v1.SignedHello;
import org.opencluster.protocol.agent.v1.SignedWelcome;
import org.opencluster.protocol.crypto.FrameMac;
import org.opencluster.protocol.pki.Identity;
import org.opencluster.protocol.session.SessionChannel;

/**
 * The one actor agents may reach ({@code /user/gateway} in the edge system, the only trusted
 * selection path). It checks each message's size and shape, hands it to the node's entity through
 * the cluster system's sharding, in this process, and sends the entity's answer back to the agent.
 * It keeps no per-agent state, so one bad agent costs it nothing but the refusal; the edge link's
 * TLS already proved the sender is a node of this cluster (not which one: the entity checks that).
 */
final class Gateway extends AbstractActor {

  /** A Hello is a few hundred bytes; anything larger is not one. */
  static final int MAX_HELLO_BYTES = 8 * 1024;

  private final ClusterSharding sharding;
  private final BooleanSupplier serving;
  private final EdgeCounters counters;
  private final EdgeSessions sessions;
  private int redirected;
  private final Duration askTimeout;
  private final int maxFramePayloadBytes;
  private final LoggingAdapter log = Logging.getLogger(getContext().getSystem(), this);

  private Gateway(ClusterSharding sharding, BooleanSupplier serving, EdgeCounters counters, EdgeSessions sessions,
      Duration askTimeout, int maxFramePayloadBytes) {
    this.sharding = sharding;
    this.serving = serving;
    this.counters = counters;
    this.sessions = sessions;
    this.askTimeout = askTimeout;
    this.maxFramePayloadBytes = maxFramePayloadBytes;
  }

  /**
   * @param serving whether node entities run on this controller (it is unsealed and sharding started)
   */
  static Props props(ClusterSharding sharding, BooleanSupplier serving, EdgeCounters counters, EdgeSessions sessions,
      Duration askTimeout, int maxFramePayloadBytes) {
    return Props.create(Gateway.class, () -> new Gateway(sharding, serving, counters, sessions, askTimeout,
        maxFramePayloadBytes));
  }

  @Override
  public Receive createReceive() {
    return receiveBuilder()
        .match(SignedHello.class, this::hello)
        .match(Frame.class, this::frame)
        .matchAny(this::unknown)
        .build();
  }

  private void hello(SignedHello signed) {
    ActorRef agent = getSender();
    if (signed.getSerializedSize() > MAX_HELLO_BYTES) {
      refuse(agent, Refused.Reason.MALFORMED, "hello refused: larger than " + MAX_HELLO_BYTES + " bytes", false);
      return;
    }
    String nodeId;
    try {
      nodeId = Hello.parseFrom(signed.getHello()).getNodeId();
    } catch (InvalidProtocolBufferException e) {
      refuse(agent, Refused.Reason.MALFORMED, "hello refused: not a Hello message", false);
      return;
    }
    if (!Identity.isValidName(nodeId)) {
      refuse(agent, Refused.Reason.MALFORMED, "hello refused: not a node id", false);
      return;
    }
    java.util.List<String> elsewhere = sessions.drainTargets(redirected);
    if (!elsewhere.isEmpty()) {
      // Leaving: a new session belongs on another controller's edge.
      redirected++;
      counters.count(EdgeCounters.Outcome.REDIRECTED);
      agent.tell(sessions.moved(elsewhere, "this controller is leaving", null), ActorRef.noSender());
      return;
    }
    if (!serving.getAsBoolean()) {
      unavailable(agent, null);
      return;
    }
    counters.count(EdgeCounters.Outcome.HELLO);
    sharding.entityRefFor(NodeEntity.ENTITY_KEY, nodeId)
        .<NodeEntity.EdgeReply>ask(replyTo -> new NodeEntity.Enrol(signed.toByteString(), replyTo), askTimeout)
        .whenCompleteAsync((reply, failure) -> deliver(agent, reply, failure, null), getContext().getDispatcher());
  }

  private void frame(Frame frame) {
    ActorRef agent = getSender();
    if (!Identity.isValidName(frame.getNodeId()) || frame.getSessionId().size() != SessionChannel.SESSION_ID_LENGTH
        || frame.getMac().size() != FrameMac.MAC_LENGTH || frame.getSequence() == 0) {
      refuse(agent, Refused.Reason.MALFORMED, "frame refused: malformed", false);
      return;
    }
    if (frame.getPayload().size() > maxFramePayloadBytes) {
      refuse(agent, Refused.Reason.MALFORMED, "frame refused: payload larger than " + maxFramePayloadBytes + " bytes", false);
      return;
    }
    if (!serving.getAsBoolean()) {
      unavailable(agent, frame.getSessionId());
      return;
    }
    counters.count(EdgeCounters.Outcome.FRAME);
    sharding.entityRefFor(NodeEntity.ENTITY_KEY, frame.getNodeId())
        .<NodeEntity.EdgeReply>ask(replyTo -> new NodeEntity.AgentFrame(frame.toByteString(), replyTo), askTimeout)
        .whenCompleteAsync((reply, failure) -> {
          deliver(agent, reply, failure, frame.getSessionId());
          if (failure == null && reply.kind() == NodeEntity.EdgeReply.Kind.FRAME) {
            accepted(frame.getNodeId(), agent, frame.getSessionId());
          }
        }, getContext().getDispatcher());
  }

  /**
   * The node's entity accepted a frame from {@code agent} (its MAC proved the session): the agent
   * is this edge's now. A leaving edge answers it with the redirect, after the entity's answer.
   * Runs off the actor, as {@link #deliver}.
   */
  private void accepted(String nodeId, ActorRef agent, com.google.protobuf.ByteString sessionId) {
    sessions.seen(nodeId, agent, sessionId);
    java.util.List<String> elsewhere = sessions.drainTargets(nodeId.hashCode() & Integer.MAX_VALUE);
    if (!elsewhere.isEmpty()) {
      counters.count(EdgeCounters.Outcome.REDIRECTED);
      agent.tell(sessions.moved(elsewhere, "this controller is leaving", sessionId), ActorRef.noSender());
    }
  }

  private void unknown(Object message) {
    counters.count(EdgeCounters.Outcome.UNKNOWN_MESSAGE);
    counters.refused("unknown_message", message.getClass().getSimpleName());
    log.warning("The edge gateway dropped a {} from {}: agents send only Hellos and Frames",
        message.getClass().getSimpleName(), getSender().path().address());
  }

  /**
   * Runs on the gateway's dispatcher once the ask completes, not in the actor: only immutable state
   * and thread-safe refs here. (Not plain whenComplete: the ask's future runs those on the common
   * pool, which on a two-core machine starts a thread per callback.)
   */
  private void deliver(ActorRef agent, NodeEntity.EdgeReply reply, Throwable failure,
      com.google.protobuf.ByteString sessionId) {
    if (failure != null) {
      counters.count(EdgeCounters.Outcome.TIMED_OUT);
      counters.refused(Refused.Reason.UNAVAILABLE);
      agent.tell(forSession(Refused.newBuilder().setReason(Refused.Reason.UNAVAILABLE)
          .setDetail("the controller did not answer in time; try another").setRetryable(true), sessionId),
          ActorRef.noSender());
      return;
    }
    try {
      switch (reply.kind()) {
        case WELCOME -> {
          counters.count(EdgeCounters.Outcome.WELCOMED);
          agent.tell(SignedWelcome.parseFrom(reply.message()), ActorRef.noSender());
        }
        case REFUSED -> {
          Refused refused = forSession(Refused.parseFrom(reply.message()).toBuilder(), sessionId);
          counters.refused(refused.getReason());
          if (refused.getReason() != Refused.Reason.UNAVAILABLE) {
            counters.refused(refused.getReason().name().toLowerCase(java.util.Locale.ROOT), refused.getDetail());
          }
          agent.tell(refused, ActorRef.noSender());
        }
        case FRAME -> {
          agent.tell(Frame.parseFrom(reply.message()), ActorRef.noSender());
          for (com.google.protobuf.ByteString more : reply.more()) {
            agent.tell(Frame.parseFrom(more), ActorRef.noSender());
          }
        }
        case NONE -> { }
      }
    } catch (InvalidProtocolBufferException e) {
      log.error("A node entity answered with a malformed {}; nothing sent", reply.kind());
    }
  }

  private void unavailable(ActorRef agent, com.google.protobuf.ByteString sessionId) {
    counters.count(EdgeCounters.Outcome.UNAVAILABLE);
    counters.refused(Refused.Reason.UNAVAILABLE);
    agent.tell(forSession(Refused.newBuilder().setReason(Refused.Reason.UNAVAILABLE)
        .setDetail("this controller is not serving nodes yet (sealed or starting); try another").setRetryable(true),
        sessionId), ActorRef.noSender());
  }

  /**
   * The refusal of a frame names the frame's session: the reply goes to whatever address the
   * sender gave, and an agent ignores a refusal of another session's frame.
   */
  private static Refused forSession(Refused.Builder refused, com.google.protobuf.ByteString sessionId) {
    return sessionId == null ? refused.build() : refused.setSessionId(sessionId).build();
  }

  private void refuse(ActorRef agent, Refused.Reason reason, String detail, boolean retryable) {
    if (reason == Refused.Reason.MALFORMED) {
      counters.count(EdgeCounters.Outcome.MALFORMED);
      counters.refused("malformed", detail);
      log.warning("The edge gateway refused a message from {}: {}", agent.path().address(), detail);
    }
    counters.refused(reason);
    agent.tell(Refused.newBuilder().setReason(reason).setDetail(detail).setRetryable(retryable).build(),
        ActorRef.noSender());
  }
}

package org.opencluster.controller.node;

import com.google.protobuf.ByteString;
import com.google.protobuf.InvalidProtocolBufferException;
import com.google.protobuf.MessageLite;
import java.io.NotSerializableException;
import java.time.Duration;
import java.time.Instant;
import java.util.Optional;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.ActorRefResolver;
import org.opencluster.controller.node.NodeEntity.Active;
import org.opencluster.controller.node.NodeEntity.AgentFrame;
import org.opencluster.controller.node.NodeEntity.EdgeReply;
import org.opencluster.controller.node.NodeEntity.Enrol;
import org.opencluster.controller.node.NodeEntity.Session;
import org.opencluster.controller.node.NodeEntity.SessionClosed;
import org.opencluster.controller.node.NodeEntity.SessionInfo;
import org.opencluster.controller.node.NodeEntity.SessionOpened;
import org.opencluster.controller.node.NodeEntity.Command;
import org.opencluster.controller.node.NodeEntity.CredentialRotationDue;
import org.opencluster.controller.node.NodeEntity.Expired;
import org.opencluster.controller.node.NodeEntity.GetStatus;
import org.opencluster.controller.node.NodeEntity.Heartbeat;
import org.opencluster.controller.node.NodeEntity.HeartbeatAccepted;
import org.opencluster.controller.node.NodeEntity.Liveness;
import org.opencluster.controller.node.NodeEntity.NodeActivated;
import org.opencluster.controller.node.NodeEntity.NodeExpired;
import org.opencluster.controller.node.NodeEntity.NodeFacts;
import org.opencluster.controller.node.NodeEntity.NodeQuarantined;
import org.opencluster.controller.node.NodeEntity.NodeRegistered;
import org.opencluster.controller.node.NodeEntity.NodeRetired;
import org.opencluster.controller.node.NodeEntity.NodeStatus;
import org.opencluster.controller.node.NodeEntity.Quarantine;
import org.opencluster.controller.node.NodeEntity.QuarantineReason;
import org.opencluster.controller.node.NodeEntity.Quarantined;
import org.opencluster.controller.node.NodeEntity.Register;
import org.opencluster.controller.node.NodeEntity.Registered;
import org.opencluster.controller.node.NodeEntity.Registration;
import org.opencluster.controller.node.NodeEntity.Release;
import org.opencluster.controller.node.NodeEntity.Retire;
import org.opencluster.controller.node.NodeEntity.Retired;
import org.opencluster.controller.node.NodeEntity.Stage;
import org.opencluster.controller.node.NodeEntity.State;
import org.opencluster.controller.node.NodeEntity.Stop;
import org.opencluster.controller.node.NodeEntity.TimerFired;
import org.opencluster.controller.node.NodeEntity.Unregistered;
import org.opencluster.controller.proto.v1.NodeState;
import org.opencluster.protocol.crypto.SecretBytes;

/**
 * NodeEntity's records to and from protobuf ({@code opencluster/controller/v1/node.proto}). The
 * manifests are part of the stored format: never rename one.
 */
public final class NodeCodec {

  private final ActorRefResolver resolver;

  public NodeCodec(ActorRefResolver resolver) {
    this.resolver = resolver;
  }

  /** The manifest for {@code o}, or empty if this codec does not know it. */
  public static Optional<String> manifest(Object o) {
    String manifest = null;
    if (o instanceof Register) {
      manifest = "node-register";
    } else if (o instanceof Heartbeat) {
      manifest = "node-heartbeat";
    } else if (o instanceof Quarantine) {
      manifest = "node-quarantine";
    } else if (o instanceof Retire) {
      manifest = "node-retire";
    } else if (o instanceof Release) {
      manifest = "node-release";
    } else if (o instanceof GetStatus) {
      manifest = "node-get-status";
    } else if (o instanceof Enrol) {
      manifest = "node-enrol";
    } else if (o instanceof AgentFrame) {
      manifest = "node-agent-frame";
    } else if (o instanceof EdgeReply) {
      manifest = "node-edge-reply";
    } else if (o instanceof SessionOpened) {
      manifest = "node-session-opened";
    } else if (o instanceof SessionClosed) {
      manifest = "node-session-closed";
    } else if (o instanceof TimerFired) {
      manifest = "node-timer";
    } else if (o instanceof Stop) {
      manifest = "node-stop";
    } else if (o instanceof Registration) {
      manifest = "node-registration";
    } else if (o instanceof HeartbeatAccepted) {
      manifest = "node-heartbeat-accepted";
    } else if (o instanceof NodeStatus) {
      manifest = "node-status";
    } else if (o instanceof NodeRegistered) {
      manifest = "node-registered";
    } else if (o instanceof NodeActivated) {
      manifest = "node-activated";
    } else if (o instanceof NodeQuarantined) {
      manifest = "node-quarantined";
    } else if (o instanceof NodeExpired) {
      manifest = "node-expired";
    } else if (o instanceof NodeRetired) {
      manifest = "node-retired";
    } else if (o instanceof CredentialRotationDue) {
      manifest = "node-credential-rotation-due";
    } else if (o instanceof State) {
      manifest = "node-state";
    } else if (o instanceof NodeEntity.SetLabels) {
      manifest = "node-set-labels";
    } else if (o instanceof NodeEntity.NodeLabelsChanged) {
      manifest = "node-labels-changed";
    } else if (o instanceof NodeEntity.FileSecretsGenerated) {
      manifest = "node-file-secrets-generated";
    } else if (o instanceof NodeEntity.ProvisionerHookDone) {
      manifest = "node-provisioner-hook-done";
    } else if (o instanceof NodeEntity.ConsumedSecretsAnswered) {
      manifest = "node-consumed-secrets-answered";
    } else if (o instanceof NodeEntity.RotatingSecretsConsumed) {
      manifest = "node-rotating-secrets-consumed";
    } else if (o instanceof NodeEntity.ProvisionerHookEnded) {
      manifest = "node-provisioner-hook-ended";
    }
    return Optional.ofNullable(manifest);
  }

  public byte[] toBinary(Object o) {
    return toProto(o).toByteArray();
  }

  private MessageLite toProto(Object o) {
    if (o instanceof Register c) {
      return org.opencluster.controller.proto.v1.Register.newBuilder().setName(c.name()).putAllLabels(c.labels())
          .setLifetimeMillis(c.lifetime().toMillis()).setReplyTo(ref(c.replyTo())).setCertificate(c.certificate())
          .setBootstrap(bootstrap(c.bootstrap())).build();
    } else if (o instanceof Enrol c) {
      return org.opencluster.controller.proto.v1.Enrol.newBuilder().setSignedHello(c.signedHello())
          .setReplyTo(ref(c.replyTo())).build();
    } else if (o instanceof AgentFrame c) {
      return org.opencluster.controller.proto.v1.AgentFrame.newBuilder().setFrame(c.frame())
          .setReplyTo(ref(c.replyTo())).build();
    } else if (o instanceof EdgeReply r) {
      return org.opencluster.controller.proto.v1.EdgeReply.newBuilder()
          .setKind(org.opencluster.controller.proto.v1.EdgeReply.Kind.valueOf(r.kind().name())).setMessage(r.message())
          .addAllMore(r.more()).build();
    } else if (o instanceof NodeEntity.SetLabels c) {
      return org.opencluster.controller.proto.v1.SetLabels.newBuilder().putAllLabels(c.labels())
          .setReplyTo(ref(c.replyTo())).build();
    } else if (o instanceof NodeEntity.NodeLabelsChanged e) {
      return org.opencluster.controller.proto.v1.NodeLabelsChanged.newBuilder().putAllLabels(e.labels())
          .setAtUnixMillis(e.at().toEpochMilli()).build();
    } else if (o instanceof NodeEntity.FileSecretsGenerated e) {
      var b = org.opencluster.controller.proto.v1.FileSecretsGenerated.newBuilder().addAllDropped(e.dropped());
      e.secrets().forEach(secret -> b.addSecrets(generated(secret)));
      return b.build();
    } else if (o instanceof SessionOpened e) {
      return org.opencluster.controller.proto.v1.SessionOpened.newBuilder().setSession(session(e.session())).build();
    } else if (o instanceof SessionClosed e) {
      return org.opencluster.controller.proto.v1.SessionClosed.newBuilder().setReason(e.reason())
          .setAtUnixMillis(e.at().toEpochMilli()).build();
    } else if (o instanceof Heartbeat c) {
      return org.opencluster.controller.proto.v1.Heartbeat.newBuilder().setReplyTo(ref(c.replyTo())).build();
    } else if (o instanceof Quarantine c) {
      return org.opencluster.controller.proto.v1.Quarantine.newBuilder().setReason(reason(c.reason()))
          .setDetail(c.detail()).setReplyTo(ref(c.replyTo())).build();
    } else if (o instanceof Retire c) {
      return org.opencluster.controller.proto.v1.Retire.newBuilder().setBy(c.by()).setReplyTo(ref(c.replyTo())).build();
    } else if (o instanceof Release c) {
      return org.opencluster.controller.proto.v1.Release.newBuilder().setReplyTo(ref(c.replyTo())).build();
    } else if (o instanceof GetStatus c) {
      return org.opencluster.controller.proto.v1.GetStatus.newBuilder().setReplyTo(ref(c.replyTo())).build();
    } else if (o instanceof TimerFired c) {
      return org.opencluster.controller.proto.v1.TimerFired.newBuilder()
          .setTimer(org.opencluster.controller.proto.v1.TimerFired.Timer.valueOf(c.timer().name())).build();
    } else if (o instanceof Stop) {
      return com.google.protobuf.Empty.getDefaultInstance();
    } else if (o instanceof Registration r) {
      return org.opencluster.controller.proto.v1.Registration.newBuilder().setNodeId(r.nodeId())
          .setRegisteredAtUnixMillis(r.registeredAt().toEpochMilli())
          .setLifetimeEndsAtUnixMillis(r.lifetimeEndsAt().toEpochMilli()).build();
    } else if (o instanceof HeartbeatAccepted r) {
      return org.opencluster.controller.proto.v1.HeartbeatAccepted.newBuilder()
          .setLeaseExpiresAtUnixMillis(r.leaseExpiresAt().toEpochMilli())
          .setNextHeartbeatMillis(r.nextHeartbeatIn().toMillis()).build();
    } else if (o instanceof NodeStatus r) {
      org.opencluster.controller.proto.v1.NodeStatus.Builder b = org.opencluster.controller.proto.v1.NodeStatus.newBuilder()
          .setStage(org.opencluster.controller.proto.v1.NodeStatus.Stage.valueOf(r.stage().name()))
          .setDetail(r.detail())
          .setSinceUnixMillis(millis(r.since()))
          .setLastHeartbeatAtUnixMillis(millis(r.liveness().lastHeartbeatAt()))
          .setHeartbeatDeadlineAtUnixMillis(millis(r.liveness().deadlineAt()))
          .setLeaseExpiresAtUnixMillis(millis(r.liveness().leaseExpiresAt()));
      r.facts().ifPresent(f -> b.setFacts(facts(f)));
      r.quarantineReason().ifPresent(q -> b.setQuarantineReason(reason(q)));
      r.session().ifPresent(info -> b.setSessionBootId(info.bootId())
          .setSessionOpenedAtUnixMillis(info.openedAt().toEpochMilli()));
      r.files().forEach(f -> b.addFiles(org.opencluster.controller.proto.v1.FileStatus.newBuilder().setName(f.name())
          .setVersion(f.version()).setDetail(f.detail())
          .setResult(org.opencluster.controller.proto.v1.FileStatus.Result.valueOf(f.result().name()))));
      r.provisionerHook().ifPresent(h -> b.setProvisionerHook(org.opencluster.controller.proto.v1.ProvisionerHookStatus
          .newBuilder().setResult(org.opencluster.controller.proto.v1.ProvisionerHookStatus.Result.valueOf(h.result().name()))
          .setDetail(h.detail())));
      r.consumedSecrets().ifPresent(h -> b.setConsumedSecrets(org.opencluster.controller.proto.v1.ProvisionerHookStatus
          .newBuilder().setResult(org.opencluster.controller.proto.v1.ProvisionerHookStatus.Result.valueOf(h.result().name()))
          .setDetail(h.detail())));
      return b.build();
    } else if (o instanceof NodeRegistered e) {
      return org.opencluster.controller.proto.v1.NodeRegistered.newBuilder().setFacts(facts(e.facts())).build();
    } else if (o instanceof NodeActivated e) {
      return org.opencluster.controller.proto.v1.NodeActivated.newBuilder().setAtUnixMillis(e.at().toEpochMilli()).build();
    } else if (o instanceof NodeQuarantined e) {
      return org.opencluster.controller.proto.v1.NodeQuarantined.newBuilder().setReason(reason(e.reason()))
          .setDetail(e.detail()).setAtUnixMillis(e.at().toEpochMilli()).build();
    } else if (o instanceof NodeExpired e) {
      return org.opencluster.controller.proto.v1.NodeExpired.newBuilder().setAtUnixMillis(e.at().toEpochMilli()).build();
    } else if (o instanceof NodeRetired e) {
      return org.opencluster.controller.proto.v1.NodeRetired.newBuilder().setAtUnixMillis(e.at().toEpochMilli())
          .setBy(e.by()).build();
    } else if (o instanceof CredentialRotationDue e) {
      return org.opencluster.controller.proto.v1.CredentialRotationDue.newBuilder()
          .setDueAtUnixMillis(e.dueAt().toEpochMilli())
          .setNextRotationAtUnixMillis(e.nextRotationAt().toEpochMilli()).build();
    } else if (o instanceof NodeEntity.ProvisionerHookDone e) {
      return org.opencluster.controller.proto.v1.ProvisionerHookDone.newBuilder().setAtUnixMillis(e.at().toEpochMilli()).build();
    } else if (o instanceof NodeEntity.RotatingSecretsConsumed e) {
      return org.opencluster.controller.proto.v1.RotatingSecretsConsumed.newBuilder().addAllSecrets(e.secrets()).build();
    } else if (o instanceof NodeEntity.ConsumedSecretsAnswered e) {
      return org.opencluster.controller.proto.v1.ConsumedSecretsAnswered.newBuilder().setAtUnixMillis(e.at().toEpochMilli())
          .addAllSecrets(e.secrets()).build();
    } else if (o instanceof NodeEntity.ProvisionerHookEnded c) {
      return org.opencluster.controller.proto.v1.ProvisionerHookEnded.newBuilder()
          .setQuarantinedAtUnixMillis(c.quarantinedAt().toEpochMilli()).setFailed(c.failure().isPresent())
          .setFailure(c.failure().orElse("")).build();
    } else if (o instanceof State s) {
      return state(s);
    }
    throw new IllegalArgumentException("NodeCodec cannot serialize " + o.getClass().getName());
  }

  public Object fromBinary(byte[] bytes, String manifest) throws NotSerializableException {
    try {
      return switch (manifest) {
        case "node-register" -> {
          var p = org.opencluster.controller.proto.v1.Register.parseFrom(bytes);
          yield new Register(p.getName(), p.getLabelsMap(), Duration.ofMillis(p.getLifetimeMillis()), p.getCertificate(),
              bootstrap(p.getBootstrap()), resolve(p.getReplyTo()));
        }
        case "node-enrol" -> {
          var p = org.opencluster.controller.proto.v1.Enrol.parseFrom(bytes);
          yield new Enrol(p.getSignedHello(), resolve(p.getReplyTo()));
        }
        case "node-agent-frame" -> {
          var p = org.opencluster.controller.proto.v1.AgentFrame.parseFrom(bytes);
          yield new AgentFrame(p.getFrame(), resolve(p.getReplyTo()));
        }
        case "node-edge-reply" -> {
          var p = org.opencluster.controller.proto.v1.EdgeReply.parseFrom(bytes);
          yield new EdgeReply(EdgeReply.Kind.valueOf(known(p.getKind().name(), manifest)), p.getMessage(), p.getMoreList());
        }
        case "node-set-labels" -> {
          var p = org.opencluster.controller.proto.v1.SetLabels.parseFrom(bytes);
          yield new NodeEntity.SetLabels(p.getLabelsMap(), resolve(p.getReplyTo()));
        }
        case "node-labels-changed" -> {
          var p = org.opencluster.controller.proto.v1.NodeLabelsChanged.parseFrom(bytes);
          yield new NodeEntity.NodeLabelsChanged(p.getLabelsMap(), Instant.ofEpochMilli(p.getAtUnixMillis()));
        }
        case "node-file-secrets-generated" -> {
          var p = org.opencluster.controller.proto.v1.FileSecretsGenerated.parseFrom(bytes);
          yield new NodeEntity.FileSecretsGenerated(p.getSecretsList().stream().map(NodeCodec::generated).toList(),
              p.getDroppedList());
        }
        case "node-session-opened" -> new SessionOpened(session(
            org.opencluster.controller.proto.v1.SessionOpened.parseFrom(bytes).getSession()));
        case "node-session-closed" -> {
          var p = org.opencluster.controller.proto.v1.SessionClosed.parseFrom(bytes);
          yield new SessionClosed(p.getReason(), Instant.ofEpochMilli(p.getAtUnixMillis()));
        }
        case "node-heartbeat" -> new Heartbeat(resolve(org.opencluster.controller.proto.v1.Heartbeat.parseFrom(bytes).getReplyTo()));
        case "node-quarantine" -> {
          var p = org.opencluster.controller.proto.v1.Quarantine.parseFrom(bytes);
          yield new Quarantine(reason(p.getReason()), p.getDetail(), resolve(p.getReplyTo()));
        }
        case "node-retire" -> {
          var p = org.opencluster.controller.proto.v1.Retire.parseFrom(bytes);
          yield new Retire(p.getBy(), resolve(p.getReplyTo()));
        }
        case "node-release" -> new Release(resolve(org.opencluster.controller.proto.v1.Release.parseFrom(bytes).getReplyTo()));
        case "node-get-status" -> new GetStatus(resolve(org.opencluster.controller.proto.v1.GetStatus.parseFrom(bytes).getReplyTo()));
        case "node-timer" -> new TimerFired(NodeEntity.Timer.valueOf(
            known(org.opencluster.controller.proto.v1.TimerFired.parseFrom(bytes).getTimer().name(), manifest)));
        case "node-stop" -> new Stop();
        case "node-registration" -> {
          var p = org.opencluster.controller.proto.v1.Registration.parseFrom(bytes);
          yield new Registration(p.getNodeId(), Instant.ofEpochMilli(p.getRegisteredAtUnixMillis()),
              Instant.ofEpochMilli(p.getLifetimeEndsAtUnixMillis()));
        }
        case "node-heartbeat-accepted" -> {
          var p = org.opencluster.controller.proto.v1.HeartbeatAccepted.parseFrom(bytes);
          yield new HeartbeatAccepted(Instant.ofEpochMilli(p.getLeaseExpiresAtUnixMillis()),
              Duration.ofMillis(p.getNextHeartbeatMillis()));
        }
        case "node-status" -> status(org.opencluster.controller.proto.v1.NodeStatus.parseFrom(bytes));
        case "node-registered" -> new NodeRegistered(facts(org.opencluster.controller.proto.v1.NodeRegistered.parseFrom(bytes).getFacts()));
        case "node-activated" -> new NodeActivated(Instant.ofEpochMilli(
            org.opencluster.controller.proto.v1.NodeActivated.parseFrom(bytes).getAtUnixMillis()));
        case "node-quarantined" -> {
          var p = org.opencluster.controller.proto.v1.NodeQuarantined.parseFrom(bytes);
          yield new NodeQuarantined(reason(p.getReason()), p.getDetail(), Instant.ofEpochMilli(p.getAtUnixMillis()));
        }
        case "node-expired" -> new NodeExpired(Instant.ofEpochMilli(
            org.opencluster.controller.proto.v1.NodeExpired.parseFrom(bytes).getAtUnixMillis()));
        case "node-retired" -> {
          var p = org.opencluster.controller.proto.v1.NodeRetired.parseFrom(bytes);
          yield new NodeRetired(Instant.ofEpochMilli(p.getAtUnixMillis()), p.getBy());
        }
        case "node-credential-rotation-due" -> {
          var p = org.opencluster.controller.proto.v1.CredentialRotationDue.parseFrom(bytes);
          yield new CredentialRotationDue(Instant.ofEpochMilli(p.getDueAtUnixMillis()),
              Instant.ofEpochMilli(p.getNextRotationAtUnixMillis()));
        }
        case "node-rotating-secrets-consumed" -> new NodeEntity.RotatingSecretsConsumed(
            org.opencluster.controller.proto.v1.RotatingSecretsConsumed.parseFrom(bytes).getSecretsList());
        case "node-consumed-secrets-answered" -> {
          var p = org.opencluster.controller.proto.v1.ConsumedSecretsAnswered.parseFrom(bytes);
          yield new NodeEntity.ConsumedSecretsAnswered(Instant.ofEpochMilli(p.getAtUnixMillis()), p.getSecretsList());
        }
        case "node-provisioner-hook-done" -> new NodeEntity.ProvisionerHookDone(Instant.ofEpochMilli(
            org.opencluster.controller.proto.v1.ProvisionerHookDone.parseFrom(bytes).getAtUnixMillis()));
        case "node-provisioner-hook-ended" -> {
          var p = org.opencluster.controller.proto.v1.ProvisionerHookEnded.parseFrom(bytes);
          yield new NodeEntity.ProvisionerHookEnded(Instant.ofEpochMilli(p.getQuarantinedAtUnixMillis()),
              p.getFailed() ? Optional.of(p.getFailure()) : Optional.empty());
        }
        case "node-state" -> state(NodeState.parseFrom(bytes));
        default -> throw new NotSerializableException("unknown manifest '" + manifest + "'");
      };
    } catch (InvalidProtocolBufferException | IllegalArgumentException e) {
      NotSerializableException refused = new NotSerializableException("malformed " + manifest + ": " + e.getMessage());
      refused.initCause(e);
      throw refused;
    }
  }

  private NodeState state(State state) {
    NodeState.Builder b = NodeState.newBuilder()
        .setStage(org.opencluster.controller.proto.v1.NodeStatus.Stage.valueOf(state.stage().name()));
    if (state instanceof Registered r) {
      b.setFacts(facts(r.facts())).setSinceUnixMillis(r.facts().registeredAt().toEpochMilli());
    } else if (state instanceof Active a) {
      b.setFacts(facts(a.facts())).setSinceUnixMillis(a.activatedAt().toEpochMilli());
    } else if (state instanceof Quarantined q) {
      b.setFacts(facts(q.facts())).setQuarantineReason(reason(q.reason())).setDetail(q.detail())
          .setSinceUnixMillis(q.at().toEpochMilli()).setProvisionerHookDone(q.hookDone())
          .setConsumedSecretsAnswered(q.secretsAnswered());
    } else if (state instanceof Expired e) {
      b.setFacts(facts(e.facts())).setSinceUnixMillis(e.at().toEpochMilli());
    } else if (state instanceof Retired r) {
      b.setFacts(facts(r.facts())).setDetail(r.by()).setSinceUnixMillis(r.at().toEpochMilli());
    }
    NodeEntity.sessionOf(state).ifPresent(session -> b.setSession(session(session)));
    new java.util.TreeMap<>(NodeEntity.generatedOf(state)).values().forEach(secret -> b.addGenerated(generated(secret)));
    return b.build();
  }

  private static State state(NodeState p) {
    Instant since = Instant.ofEpochMilli(p.getSinceUnixMillis());
    Optional<Session> session = p.hasSession() ? Optional.of(session(p.getSession())) : Optional.empty();
    return switch (Stage.valueOf(known(p.getStage().name(), "node-state"))) {
      case UNREGISTERED -> new Unregistered();
      case REGISTERED -> new Registered(facts(p.getFacts()), session, generated(p.getGeneratedList()));
      case ACTIVE -> new Active(facts(p.getFacts()), since, session, generated(p.getGeneratedList()));
      case QUARANTINED -> new Quarantined(facts(p.getFacts()), reason(p.getQuarantineReason()), p.getDetail(), since, session,
          p.getProvisionerHookDone(), p.getConsumedSecretsAnswered());
      case EXPIRED -> new Expired(facts(p.getFacts()), since, session);
      case RETIRED -> new Retired(facts(p.getFacts()), since, p.getDetail());
    };
  }

  private static org.opencluster.controller.proto.v1.GeneratedSecret generated(NodeEntity.GeneratedSecret secret) {
    return org.opencluster.controller.proto.v1.GeneratedSecret.newBuilder().setFile(secret.file())
        .setDefinitionVersion(secret.definitionVersion()).setValue(ByteString.copyFrom(secret.value().copyBytes()))
        .setGeneratedAtUnixMillis(secret.generatedAt().toEpochMilli())
        .setRenewAtUnixMillis(secret.renewAt() == null ? 0 : secret.renewAt().toEpochMilli()).build();
  }

  private static NodeEntity.GeneratedSecret generated(org.opencluster.controller.proto.v1.GeneratedSecret p) {
    return new NodeEntity.GeneratedSecret(p.getFile(), p.getDefinitionVersion(), SecretBytes.copyOf(p.getValue().toByteArray()),
        Instant.ofEpochMilli(p.getGeneratedAtUnixMillis()),
        p.getRenewAtUnixMillis() == 0 ? null : Instant.ofEpochMilli(p.getRenewAtUnixMillis()));
  }

  private static java.util.Map<String, NodeEntity.GeneratedSecret> generated(
      java.util.List<org.opencluster.controller.proto.v1.GeneratedSecret> list) {
    java.util.Map<String, NodeEntity.GeneratedSecret> map = new java.util.TreeMap<>();
    list.forEach(p -> map.put(p.getFile(), generated(p)));
    return map;
  }

  private static org.opencluster.controller.proto.v1.Session session(Session s) {
    return org.opencluster.controller.proto.v1.Session.newBuilder()
        .setSessionId(s.sessionId()).setBootId(s.bootId()).setAgentKey(s.agentKey()).setHelloNonce(s.helloNonce())
        .setHelloSentAtUnixMillis(s.helloSentAt().toEpochMilli())
        .setFrameKey(ByteString.copyFrom(s.frameKey().copyBytes()))
        .setOpenedAtUnixMillis(s.openedAt().toEpochMilli()).build();
  }

  private static Session session(org.opencluster.controller.proto.v1.Session p) {
    return new Session(p.getSessionId(), p.getBootId(), p.getAgentKey(), p.getHelloNonce(),
        Instant.ofEpochMilli(p.getHelloSentAtUnixMillis()), SecretBytes.copyOf(p.getFrameKey().toByteArray()), Instant.ofEpochMilli(p.getOpenedAtUnixMillis()));
  }

  private static org.opencluster.controller.proto.v1.Bootstrap bootstrap(NodeEntity.Bootstrap bootstrap) {
    return org.opencluster.controller.proto.v1.Bootstrap.valueOf(bootstrap.name());
  }

  /** Unset reads as REUSABLE: records written before the field existed. */
  private static NodeEntity.Bootstrap bootstrap(org.opencluster.controller.proto.v1.Bootstrap bootstrap) {
    return switch (bootstrap) {
      case SINGLE_USE -> NodeEntity.Bootstrap.SINGLE_USE;
      case REUSABLE, BOOTSTRAP_UNSPECIFIED -> NodeEntity.Bootstrap.REUSABLE;
      default -> throw new IllegalArgumentException("bootstrap policy carries an unknown value");
    };
  }

  private static NodeStatus status(org.opencluster.controller.proto.v1.NodeStatus p) {
    return new NodeStatus(Stage.valueOf(known(p.getStage().name(), "node-status")),
        p.hasFacts() ? Optional.of(facts(p.getFacts())) : Optional.empty(),
        p.getQuarantineReason() == org.opencluster.controller.proto.v1.QuarantineReason.QUARANTINE_REASON_UNSPECIFIED
            ? Optional.empty() : Optional.of(reason(p.getQuarantineReason())),
        p.getDetail(), instant(p.getSinceUnixMillis()),
        new Liveness(instant(p.getLastHeartbeatAtUnixMillis()), instant(p.getHeartbeatDeadlineAtUnixMillis()),
            instant(p.getLeaseExpiresAtUnixMillis())),
        p.getSessionOpenedAtUnixMillis() == 0 ? Optional.empty()
            : Optional.of(new SessionInfo(p.getSessionBootId(), Instant.ofEpochMilli(p.getSessionOpenedAtUnixMillis()))),
        p.getFilesList().stream().map(f -> new NodeEntity.FileStatus(f.getName(), f.getVersion(),
            NodeEntity.FileStatus.Result.valueOf(known(f.getResult().name(), "file status")), f.getDetail())).toList(),
        p.hasProvisionerHook() ? Optional.of(new NodeEntity.ProvisionerHookStatus(NodeEntity.ProvisionerHookStatus.Result
            .valueOf(known(p.getProvisionerHook().getResult().name(), "provisioner hook status")),
            p.getProvisionerHook().getDetail())) : Optional.empty(),
        p.hasConsumedSecrets() ? Optional.of(new NodeEntity.ProvisionerHookStatus(NodeEntity.ProvisionerHookStatus.Result
            .valueOf(known(p.getConsumedSecrets().getResult().name(), "consumed secrets status")),
            p.getConsumedSecrets().getDetail())) : Optional.empty());
  }

  private static org.opencluster.controller.proto.v1.NodeFacts facts(NodeFacts f) {
    return org.opencluster.controller.proto.v1.NodeFacts.newBuilder().setNodeId(f.nodeId()).setName(f.name())
        .putAllLabels(f.labels()).setRegisteredAtUnixMillis(f.registeredAt().toEpochMilli())
        .setLifetimeEndsAtUnixMillis(f.lifetimeEndsAt().toEpochMilli())
        .setNextRotationAtUnixMillis(f.nextRotationAt().toEpochMilli())
        .setCertificate(f.certificate()).setBootstrap(bootstrap(f.bootstrap()))
        .addAllConsumedSecrets(new java.util.TreeSet<>(f.consumedSecrets())).build();
  }

  private static NodeFacts facts(org.opencluster.controller.proto.v1.NodeFacts p) {
    return new NodeFacts(p.getNodeId(), p.getName(), p.getLabelsMap(), Instant.ofEpochMilli(p.getRegisteredAtUnixMillis()),
        Instant.ofEpochMilli(p.getLifetimeEndsAtUnixMillis()), Instant.ofEpochMilli(p.getNextRotationAtUnixMillis()),
        p.getCertificate(), bootstrap(p.getBootstrap()), new java.util.HashSet<>(p.getConsumedSecretsList()));
  }

  private static org.opencluster.controller.proto.v1.QuarantineReason reason(QuarantineReason reason) {
    return org.opencluster.controller.proto.v1.QuarantineReason.valueOf(reason.name());
  }

  private static QuarantineReason reason(org.opencluster.controller.proto.v1.QuarantineReason reason) {
    return QuarantineReason.valueOf(known(reason.name(), "quarantine reason"));
  }

  /** Fails closed on a value this build does not know (a newer peer's, or an unset field). */
  private static String known(String name, String what) {
    if (name.endsWith("UNSPECIFIED") || name.equals("UNRECOGNIZED")) {
      throw new IllegalArgumentException(what + " carries an unknown value");
    }
    return name;
  }

  private static long millis(Optional<Instant> instant) {
    return instant.map(Instant::toEpochMilli).orElse(0L);
  }

  private static Optional<Instant> instant(long millis) {
    return millis == 0 ? Optional.empty() : Optional.of(Instant.ofEpochMilli(millis));
  }

  private String ref(ActorRef<?> ref) {
    return resolver.toSerializationFormat(ref);
  }

  private <T> ActorRef<T> resolve(String serialized) {
    return resolver.resolveActorRef(serialized);
  }
}

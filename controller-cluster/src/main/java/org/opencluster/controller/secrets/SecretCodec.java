package org.opencluster.controller.secrets;

import com.google.protobuf.ByteString;
import com.google.protobuf.InvalidProtocolBufferException;
import com.google.protobuf.MessageLite;
import java.io.NotSerializableException;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.ActorRefResolver;
import org.opencluster.controller.files.CatalogCodec;
import org.opencluster.controller.rotation.RotatorSpec;
import org.opencluster.controller.proto.v1.SecretLabel;
import org.opencluster.controller.proto.v1.SecretStep;
import org.opencluster.controller.proto.v1.SecretTimer;
import org.opencluster.controller.secrets.SecretEntity.Absent;
import org.opencluster.controller.secrets.SecretEntity.ConsumerAcked;
import org.opencluster.controller.secrets.SecretEntity.ConsumerAcknowledged;
import org.opencluster.controller.secrets.SecretEntity.Create;
import org.opencluster.controller.secrets.SecretEntity.Definition;
import org.opencluster.controller.secrets.SecretEntity.Distribution;
import org.opencluster.controller.secrets.SecretEntity.DistributionEnded;
import org.opencluster.controller.secrets.SecretEntity.Failure;
import org.opencluster.controller.secrets.SecretEntity.GetStatus;
import org.opencluster.controller.secrets.SecretEntity.Idle;
import org.opencluster.controller.secrets.SecretEntity.Label;
import org.opencluster.controller.secrets.SecretEntity.PreviousRetired;
import org.opencluster.controller.secrets.SecretEntity.Progress;
import org.opencluster.controller.secrets.SecretEntity.RetireFailed;
import org.opencluster.controller.secrets.SecretEntity.Rotate;
import org.opencluster.controller.secrets.SecretEntity.Rotating;
import org.opencluster.controller.secrets.SecretEntity.RotationFailed;
import org.opencluster.controller.secrets.SecretEntity.RotationFinished;
import org.opencluster.controller.secrets.SecretEntity.RotationStarted;
import org.opencluster.controller.secrets.SecretEntity.Saga;
import org.opencluster.controller.secrets.SecretEntity.SecretCreated;
import org.opencluster.controller.secrets.SecretEntity.SecretStatus;
import org.opencluster.controller.secrets.SecretEntity.DistributionSummary;
import org.opencluster.controller.secrets.SecretEntity.SetDone;
import org.opencluster.controller.secrets.SecretEntity.State;
import org.opencluster.controller.secrets.SecretEntity.Step;
import org.opencluster.controller.secrets.SecretEntity.StepCompleted;
import org.opencluster.controller.secrets.SecretEntity.StepRetrying;
import org.opencluster.controller.secrets.SecretEntity.TestDone;
import org.opencluster.controller.secrets.SecretEntity.TimerFired;
import org.opencluster.controller.secrets.SecretEntity.Version;
import org.opencluster.controller.secrets.SecretEntity.VersionInfo;
import org.opencluster.protocol.crypto.SecretBytes;

/**
 * The secret entity's records to and from protobuf ({@code opencluster/controller/v1/secrets.proto}).
 * The manifests are part of the stored format: never rename one. An instant of 0 reads as none.
 */
public final class SecretCodec {

  private static final Map<Class<?>, String> MANIFESTS = Map.ofEntries(
      Map.entry(Create.class, "secret-create"), Map.entry(Rotate.class, "secret-rotate"),
      Map.entry(SecretEntity.Compromised.class, "secret-compromised"),
      Map.entry(SecretEntity.ConsumersAcked.class, "secret-consumers-acked"),
      Map.entry(SecretEntity.CompromiseNoted.class, "secret-compromise-noted"),
      Map.entry(SecretEntity.ConsumersAcknowledged.class, "secret-consumers-acknowledged"),
      Map.entry(ConsumerAcked.class, "secret-consumer-acked"), Map.entry(GetStatus.class, "secret-get-status"),
      Map.entry(TimerFired.class, "secret-timer"), Map.entry(StepCompleted.class, "secret-step-completed"),
      Map.entry(SecretStatus.class, "secret-status"),
      Map.entry(SecretCreated.class, "secret-created"), Map.entry(RotationStarted.class, "secret-rotation-started"),
      Map.entry(ConsumerAcknowledged.class, "secret-consumer-acknowledged"),
      Map.entry(DistributionEnded.class, "secret-distribution-ended"), Map.entry(SetDone.class, "secret-set-done"),
      Map.entry(TestDone.class, "secret-test-done"), Map.entry(StepRetrying.class, "secret-step-retrying"),
      Map.entry(RotationFailed.class, "secret-rotation-failed"), Map.entry(RotationFinished.class, "secret-rotation-finished"),
      Map.entry(PreviousRetired.class, "secret-previous-retired"), Map.entry(RetireFailed.class, "secret-retire-failed"),
      Map.entry(Absent.class, "secret-state"), Map.entry(Idle.class, "secret-state"), Map.entry(Rotating.class, "secret-state"));

  private final ActorRefResolver resolver;

  public SecretCodec(ActorRefResolver resolver) {
    this.resolver = resolver;
  }

  public static Optional<String> manifest(Object o) {
    return Optional.ofNullable(MANIFESTS.get(o.getClass()));
  }

  public byte[] toBinary(Object o) {
    return toProto(o).toByteArray();
  }

  private MessageLite toProto(Object o) {
    if (o instanceof Create c) {
      var b = org.opencluster.controller.proto.v1.SecretCreate.newBuilder().setRotator(rotator(c.rotator()))
          .setEveryMillis(c.every().map(Duration::toMillis).orElse(0L)).setConsumers(CatalogCodec.selector(c.consumers()))
          .setReplyTo(ref(c.replyTo()));
      c.fields().forEach((field, value) -> {
        byte[] copy = value.copyBytes();
        b.putFields(field, ByteString.copyFrom(copy));
        java.util.Arrays.fill(copy, (byte) 0);
      });
      return b.build();
    } else if (o instanceof Rotate c) {
      return org.opencluster.controller.proto.v1.SecretRotate.newBuilder().setReplyTo(ref(c.replyTo())).build();
    } else if (o instanceof SecretEntity.ConsumersAcked c) {
      return org.opencluster.controller.proto.v1.SecretConsumersAcked.newBuilder().addAllNodeIds(c.nodeIds())
          .setVersion(c.version()).setLive(c.live()).build();
    } else if (o instanceof SecretEntity.Compromised c) {
      return org.opencluster.controller.proto.v1.SecretCompromised.newBuilder().setNodeId(c.nodeId())
          .setReplyTo(ref(c.replyTo())).build();
    } else if (o instanceof SecretEntity.ConsumersAcknowledged e) {
      return org.opencluster.controller.proto.v1.SecretConsumersAcknowledged.newBuilder().setVersion(e.version())
          .addAllNodeIds(e.nodeIds()).setAtUnixMillis(e.at().toEpochMilli()).build();
    } else if (o instanceof SecretEntity.CompromiseNoted e) {
      return org.opencluster.controller.proto.v1.SecretCompromiseNoted.newBuilder().setNodeId(e.nodeId())
          .setAtUnixMillis(e.at().toEpochMilli()).setRetireByUnixMillis(millis(e.retireBy())).build();
    } else if (o instanceof ConsumerAcked c) {
      return org.opencluster.controller.proto.v1.SecretConsumerAcked.newBuilder().setNodeId(c.nodeId()).setVersion(c.version())
          .setLive(c.live()).build();
    } else if (o instanceof GetStatus c) {
      return org.opencluster.controller.proto.v1.SecretGetStatus.newBuilder().setReplyTo(ref(c.replyTo())).build();
    } else if (o instanceof TimerFired c) {
      return org.opencluster.controller.proto.v1.SecretTimerFired.newBuilder()
          .setTimer(SecretTimer.valueOf("SECRET_TIMER_" + c.timer().name())).build();
    } else if (o instanceof StepCompleted c) {
      var b = org.opencluster.controller.proto.v1.SecretStepCompleted.newBuilder().setStep(step(c.step()))
          .setVersion(c.version()).setRetryable(c.retryable());
      c.failure().ifPresent(b::setFailure);
      return b.build();
    } else if (o instanceof SecretStatus s) {
      return status(s);
    } else if (o instanceof SecretCreated e) {
      return org.opencluster.controller.proto.v1.SecretCreated.newBuilder().setDefinition(definition(e.definition()))
          .setFirst(version(e.first())).setNextRotationAtUnixMillis(millis(e.nextRotationAt())).build();
    } else if (o instanceof RotationStarted e) {
      return org.opencluster.controller.proto.v1.SecretRotationStarted.newBuilder().setPending(version(e.pending()))
          .addAllConsumers(new java.util.TreeSet<>(e.consumers())).setTrigger(e.trigger()).setAtUnixMillis(e.at().toEpochMilli())
          .setDistributeDeadlineUnixMillis(e.distributeDeadline().toEpochMilli()).setUrgent(e.urgent())
          .addAllCompromised(e.compromised()).build();
    } else if (o instanceof ConsumerAcknowledged e) {
      return org.opencluster.controller.proto.v1.SecretConsumerAcknowledged.newBuilder().setNodeId(e.nodeId())
          .setVersion(e.version()).setAtUnixMillis(e.at().toEpochMilli()).build();
    } else if (o instanceof DistributionEnded e) {
      return org.opencluster.controller.proto.v1.SecretDistributionEnded.newBuilder().setAtUnixMillis(e.at().toEpochMilli())
          .addAllBehind(new java.util.TreeSet<>(e.behind())).build();
    } else if (o instanceof SetDone e) {
      return org.opencluster.controller.proto.v1.SecretSetDone.newBuilder().setAtUnixMillis(e.at().toEpochMilli()).build();
    } else if (o instanceof TestDone e) {
      return org.opencluster.controller.proto.v1.SecretTestDone.newBuilder().setAtUnixMillis(e.at().toEpochMilli()).build();
    } else if (o instanceof StepRetrying e) {
      return org.opencluster.controller.proto.v1.SecretStepRetrying.newBuilder().setStep(step(e.step())).setAttempt(e.attempt())
          .setFailure(e.failure()).setAtUnixMillis(e.at().toEpochMilli()).setRetryAtUnixMillis(e.retryAt().toEpochMilli()).build();
    } else if (o instanceof RotationFailed e) {
      return org.opencluster.controller.proto.v1.SecretRotationFailed.newBuilder().setStep(step(e.step())).setFailure(e.failure())
          .setAtUnixMillis(e.at().toEpochMilli()).setNextRotationAtUnixMillis(millis(e.nextRotationAt())).build();
    } else if (o instanceof RotationFinished e) {
      return org.opencluster.controller.proto.v1.SecretRotationFinished.newBuilder().setAtUnixMillis(e.at().toEpochMilli())
          .setRetireAtUnixMillis(e.retireAt().toEpochMilli()).build();
    } else if (o instanceof PreviousRetired e) {
      return org.opencluster.controller.proto.v1.SecretPreviousRetired.newBuilder().setAtUnixMillis(e.at().toEpochMilli())
          .setNextRotationAtUnixMillis(millis(e.nextRotationAt())).build();
    } else if (o instanceof RetireFailed e) {
      return org.opencluster.controller.proto.v1.SecretRetireFailed.newBuilder().setFailure(e.failure())
          .setAtUnixMillis(e.at().toEpochMilli()).setNextRotationAtUnixMillis(millis(e.nextRotationAt())).build();
    } else if (o instanceof State s) {
      return state(s);
    }
    throw new IllegalArgumentException("SecretCodec cannot serialize " + o.getClass().getName());
  }

  public Object fromBinary(byte[] bytes, String manifest) throws NotSerializableException {
    try {
      return switch (manifest) {
        case "secret-create" -> {
          var p = org.opencluster.controller.proto.v1.SecretCreate.parseFrom(bytes);
          Map<String, SecretBytes> fields = new TreeMap<>();
          p.getFieldsMap().forEach((field, value) -> fields.put(field, SecretBytes.copyOf(value.toByteArray())));
          yield new Create(fields, rotator(p.getRotator()),
              p.getEveryMillis() == 0 ? Optional.empty() : Optional.of(Duration.ofMillis(p.getEveryMillis())),
              CatalogCodec.selector(p.getConsumers()), resolve(p.getReplyTo()));
        }
        case "secret-rotate" -> new Rotate(resolve(org.opencluster.controller.proto.v1.SecretRotate.parseFrom(bytes).getReplyTo()));
        case "secret-consumers-acked" -> {
          var p = org.opencluster.controller.proto.v1.SecretConsumersAcked.parseFrom(bytes);
          yield new SecretEntity.ConsumersAcked(p.getNodeIdsList(), p.getVersion(), p.getLive());
        }
        case "secret-compromised" -> {
          var p = org.opencluster.controller.proto.v1.SecretCompromised.parseFrom(bytes);
          yield new SecretEntity.Compromised(p.getNodeId(), resolve(p.getReplyTo()));
        }
        case "secret-consumers-acknowledged" -> {
          var p = org.opencluster.controller.proto.v1.SecretConsumersAcknowledged.parseFrom(bytes);
          yield new SecretEntity.ConsumersAcknowledged(p.getVersion(), p.getNodeIdsList(),
              Instant.ofEpochMilli(p.getAtUnixMillis()));
        }
        case "secret-compromise-noted" -> {
          var p = org.opencluster.controller.proto.v1.SecretCompromiseNoted.parseFrom(bytes);
          yield new SecretEntity.CompromiseNoted(p.getNodeId(), Instant.ofEpochMilli(p.getAtUnixMillis()),
              instant(p.getRetireByUnixMillis()));
        }
        case "secret-consumer-acked" -> {
          var p = org.opencluster.controller.proto.v1.SecretConsumerAcked.parseFrom(bytes);
          yield new ConsumerAcked(p.getNodeId(), p.getVersion(), p.getLive());
        }
        case "secret-get-status" -> new GetStatus(resolve(org.opencluster.controller.proto.v1.SecretGetStatus.parseFrom(bytes).getReplyTo()));
        case "secret-timer" -> new TimerFired(SecretEntity.Timer.valueOf(
            known(org.opencluster.controller.proto.v1.SecretTimerFired.parseFrom(bytes).getTimer().name(), "timer")
                .substring("SECRET_TIMER_".length())));
        case "secret-step-completed" -> {
          var p = org.opencluster.controller.proto.v1.SecretStepCompleted.parseFrom(bytes);
          yield new StepCompleted(step(p.getStep()), p.getVersion(),
              p.hasFailure() ? Optional.of(p.getFailure()) : Optional.empty(), p.getRetryable());
        }
        case "secret-status" -> status(org.opencluster.controller.proto.v1.SecretStatus.parseFrom(bytes));
        case "secret-created" -> {
          var p = org.opencluster.controller.proto.v1.SecretCreated.parseFrom(bytes);
          yield new SecretCreated(definition(p.getDefinition()), version(p.getFirst()), instant(p.getNextRotationAtUnixMillis()));
        }
        case "secret-rotation-started" -> {
          var p = org.opencluster.controller.proto.v1.SecretRotationStarted.parseFrom(bytes);
          yield new RotationStarted(version(p.getPending()), new HashSet<>(p.getConsumersList()), p.getTrigger(),
              Instant.ofEpochMilli(p.getAtUnixMillis()), Instant.ofEpochMilli(p.getDistributeDeadlineUnixMillis()),
              p.getUrgent(), p.getCompromisedList());
        }
        case "secret-consumer-acknowledged" -> {
          var p = org.opencluster.controller.proto.v1.SecretConsumerAcknowledged.parseFrom(bytes);
          yield new ConsumerAcknowledged(p.getNodeId(), p.getVersion(), Instant.ofEpochMilli(p.getAtUnixMillis()));
        }
        case "secret-distribution-ended" -> {
          var p = org.opencluster.controller.proto.v1.SecretDistributionEnded.parseFrom(bytes);
          yield new DistributionEnded(Instant.ofEpochMilli(p.getAtUnixMillis()), new HashSet<>(p.getBehindList()));
        }
        case "secret-set-done" -> new SetDone(Instant.ofEpochMilli(
            org.opencluster.controller.proto.v1.SecretSetDone.parseFrom(bytes).getAtUnixMillis()));
        case "secret-test-done" -> new TestDone(Instant.ofEpochMilli(
            org.opencluster.controller.proto.v1.SecretTestDone.parseFrom(bytes).getAtUnixMillis()));
        case "secret-step-retrying" -> {
          var p = org.opencluster.controller.proto.v1.SecretStepRetrying.parseFrom(bytes);
          yield new StepRetrying(step(p.getStep()), p.getAttempt(), p.getFailure(), Instant.ofEpochMilli(p.getAtUnixMillis()),
              Instant.ofEpochMilli(p.getRetryAtUnixMillis()));
        }
        case "secret-rotation-failed" -> {
          var p = org.opencluster.controller.proto.v1.SecretRotationFailed.parseFrom(bytes);
          yield new RotationFailed(step(p.getStep()), p.getFailure(), Instant.ofEpochMilli(p.getAtUnixMillis()),
              instant(p.getNextRotationAtUnixMillis()));
        }
        case "secret-rotation-finished" -> {
          var p = org.opencluster.controller.proto.v1.SecretRotationFinished.parseFrom(bytes);
          yield new RotationFinished(Instant.ofEpochMilli(p.getAtUnixMillis()), Instant.ofEpochMilli(p.getRetireAtUnixMillis()));
        }
        case "secret-previous-retired" -> {
          var p = org.opencluster.controller.proto.v1.SecretPreviousRetired.parseFrom(bytes);
          yield new PreviousRetired(Instant.ofEpochMilli(p.getAtUnixMillis()), instant(p.getNextRotationAtUnixMillis()));
        }
        case "secret-retire-failed" -> {
          var p = org.opencluster.controller.proto.v1.SecretRetireFailed.parseFrom(bytes);
          yield new RetireFailed(p.getFailure(), Instant.ofEpochMilli(p.getAtUnixMillis()), instant(p.getNextRotationAtUnixMillis()));
        }
        case "secret-state" -> state(org.opencluster.controller.proto.v1.SecretState.parseFrom(bytes));
        default -> throw new NotSerializableException("unknown manifest '" + manifest + "'");
      };
    } catch (InvalidProtocolBufferException | IllegalArgumentException e) {
      NotSerializableException refused = new NotSerializableException("malformed " + manifest + ": " + e.getMessage());
      refused.initCause(e);
      throw refused;
    }
  }

  // ---- state --------------------------------------------------------------------------------

  private static org.opencluster.controller.proto.v1.SecretState state(State state) {
    var b = org.opencluster.controller.proto.v1.SecretState.newBuilder();
    if (state instanceof Idle s) {
      var idle = org.opencluster.controller.proto.v1.SecretState.Idle.newBuilder().setDefinition(definition(s.definition()))
          .setCurrent(version(s.current())).setNextRotationAtUnixMillis(millis(s.nextRotationAt()))
          .setCompromises(compromises(s.compromises()));
      s.distribution().ifPresent(d -> idle.setDistribution(distribution(d)));
      s.lastFailure().ifPresent(f -> idle.setLastFailure(failure(f)));
      b.setIdle(idle);
    } else if (state instanceof Rotating s) {
      var rotating = org.opencluster.controller.proto.v1.SecretState.Rotating.newBuilder()
          .setDefinition(definition(s.definition())).setCurrent(version(s.current())).setSaga(saga(s.saga()))
          .setDistribution(distribution(s.distribution())).setCompromises(compromises(s.compromises()));
      s.previous().ifPresent(p -> rotating.setPrevious(version(p)));
      s.lastFailure().ifPresent(f -> rotating.setLastFailure(failure(f)));
      b.setRotating(rotating);
    }
    return b.build();
  }

  private static State state(org.opencluster.controller.proto.v1.SecretState p) {
    return switch (p.getStageCase()) {
      case IDLE -> {
        var s = p.getIdle();
        yield new Idle(definition(s.getDefinition()), version(s.getCurrent()),
            s.hasDistribution() ? Optional.of(distribution(s.getDistribution())) : Optional.empty(),
            s.hasLastFailure() ? Optional.of(failure(s.getLastFailure())) : Optional.empty(),
            instant(s.getNextRotationAtUnixMillis()), compromises(s.getCompromises()));
      }
      case ROTATING -> {
        var s = p.getRotating();
        yield new Rotating(definition(s.getDefinition()), version(s.getCurrent()),
            s.hasPrevious() ? Optional.of(version(s.getPrevious())) : Optional.empty(), saga(s.getSaga()),
            distribution(s.getDistribution()),
            s.hasLastFailure() ? Optional.of(failure(s.getLastFailure())) : Optional.empty(),
            compromises(s.getCompromises()));
      }
      case STAGE_NOT_SET -> new Absent();
    };
  }

  private static org.opencluster.controller.proto.v1.SecretSaga saga(Saga s) {
    var b = org.opencluster.controller.proto.v1.SecretSaga.newBuilder().setVersion(s.version()).setStep(step(s.step()))
        .setStartedAtUnixMillis(s.startedAt().toEpochMilli()).setTrigger(s.trigger())
        .setDistributeDeadlineUnixMillis(s.distributeDeadline().toEpochMilli()).setAttempts(s.attempts())
        .setRetryAtUnixMillis(millis(s.retryAt())).setRetireAtUnixMillis(millis(s.retireAt())).setUrgent(s.urgent())
        .addAllCompromised(s.compromised());
    s.pending().ifPresent(v -> b.setPending(version(v)));
    return b.build();
  }

  private static Saga saga(org.opencluster.controller.proto.v1.SecretSaga p) {
    return new Saga(p.getVersion(), step(p.getStep()), Instant.ofEpochMilli(p.getStartedAtUnixMillis()), p.getTrigger(),
        Instant.ofEpochMilli(p.getDistributeDeadlineUnixMillis()),
        p.hasPending() ? Optional.of(version(p.getPending())) : Optional.empty(), p.getAttempts(),
        instant(p.getRetryAtUnixMillis()), instant(p.getRetireAtUnixMillis()), p.getUrgent(), p.getCompromisedList());
  }

  private static org.opencluster.controller.proto.v1.SecretCompromises compromises(SecretEntity.Compromises c) {
    return org.opencluster.controller.proto.v1.SecretCompromises.newBuilder().addAllHandled(c.handled())
        .addAllWaiting(c.waiting()).build();
  }

  private static SecretEntity.Compromises compromises(org.opencluster.controller.proto.v1.SecretCompromises p) {
    return new SecretEntity.Compromises(p.getHandledList(), p.getWaitingList());
  }

  private static org.opencluster.controller.proto.v1.SecretRotator rotator(RotatorSpec r) {
    var b = org.opencluster.controller.proto.v1.SecretRotator.newBuilder().setKind(r.kind()).putAllParameters(r.parameters());
    r.adminSecret().ifPresent(b::setAdminSecret);
    return b.build();
  }

  private static RotatorSpec rotator(org.opencluster.controller.proto.v1.SecretRotator p) {
    return new RotatorSpec(p.getKind(), p.getParametersMap(),
        p.getAdminSecret().isEmpty() ? Optional.empty() : Optional.of(p.getAdminSecret()));
  }

  // ---- parts --------------------------------------------------------------------------------

  private static org.opencluster.controller.proto.v1.SecretStatus status(SecretStatus s) {
    var b = org.opencluster.controller.proto.v1.SecretStatus.newBuilder().setName(s.name())
        .setNextRotationAtUnixMillis(millis(s.nextRotationAt())).addAllCompromised(s.compromised()).setHost(s.host())
        .setSwitched(s.switched());
    s.published().ifPresent(p -> b.setPublishedCurrent(p.current()).setPublishedPending(p.pending()));
    s.definition().ifPresent(d -> b.setDefinition(definition(d)));
    s.versions().forEach(v -> b.addVersions(org.opencluster.controller.proto.v1.SecretStatus.VersionInfo.newBuilder()
        .setNumber(v.number()).setLabel(SecretLabel.valueOf("SECRET_LABEL_" + v.label().name()))
        .setCreatedAtUnixMillis(v.createdAt().toEpochMilli())));
    s.rotation().ifPresent(r -> b.setRotation(org.opencluster.controller.proto.v1.SecretStatus.Progress.newBuilder()
        .setVersion(r.version()).setStep(step(r.step())).setStartedAtUnixMillis(r.startedAt().toEpochMilli())
        .setTrigger(r.trigger()).setAttempts(r.attempts()).setRetryAtUnixMillis(millis(r.retryAt()))
        .setRetireAtUnixMillis(millis(r.retireAt())).setUrgent(r.urgent())));
    s.distribution().ifPresent(d -> b.setDistributionSummary(
        org.opencluster.controller.proto.v1.SecretDistributionSummary.newBuilder().setVersion(d.version())
            .setExpected(d.expected()).setAcknowledged(d.acknowledged()).addAllBehind(d.behind())
            .setBehindTotal(d.behindCount())));
    s.lastFailure().ifPresent(f -> b.setLastFailure(failure(f)));
    return b.build();
  }

  private static SecretStatus status(org.opencluster.controller.proto.v1.SecretStatus p) {
    List<VersionInfo> versions = new ArrayList<>();
    p.getVersionsList().forEach(v -> versions.add(new VersionInfo(v.getNumber(),
        Label.valueOf(known(v.getLabel().name(), "label").substring("SECRET_LABEL_".length())),
        Instant.ofEpochMilli(v.getCreatedAtUnixMillis()))));
    Optional<Progress> rotation = Optional.empty();
    if (p.hasRotation()) {
      var r = p.getRotation();
      rotation = Optional.of(new Progress(r.getVersion(), step(r.getStep()), Instant.ofEpochMilli(r.getStartedAtUnixMillis()),
          r.getTrigger(), r.getAttempts(), instant(r.getRetryAtUnixMillis()), instant(r.getRetireAtUnixMillis()),
          r.getUrgent()));
    }
    return new SecretStatus(p.getName(), p.hasDefinition() ? Optional.of(definition(p.getDefinition())) : Optional.empty(),
        versions, rotation, distributionSummary(p),
        p.hasLastFailure() ? Optional.of(failure(p.getLastFailure())) : Optional.empty(),
        instant(p.getNextRotationAtUnixMillis()), p.getCompromisedList(),
        p.getPublishedCurrent() == 0 ? Optional.empty()
            : Optional.of(new SecretEntity.Publication(p.getPublishedCurrent(), p.getPublishedPending())),
        p.getHost(), p.getSwitched());
  }

  /** The summary, or one made from the whole distribution an older controller sent. */
  private static Optional<DistributionSummary> distributionSummary(org.opencluster.controller.proto.v1.SecretStatus p) {
    if (p.hasDistributionSummary()) {
      var d = p.getDistributionSummary();
      return Optional.of(new DistributionSummary(d.getVersion(), d.getExpected(), d.getAcknowledged(), d.getBehindList(),
          d.getBehindTotal()));
    }
    return p.hasDistribution() ? Optional.of(DistributionSummary.of(distribution(p.getDistribution()))) : Optional.empty();
  }

  private static org.opencluster.controller.proto.v1.SecretDefinition definition(Definition d) {
    return org.opencluster.controller.proto.v1.SecretDefinition.newBuilder().setName(d.name())
        .setRotator(rotator(d.rotator())).addAllFields(new java.util.TreeSet<>(d.fields()))
        .setEveryMillis(d.every().map(Duration::toMillis).orElse(0L)).setConsumers(CatalogCodec.selector(d.consumers()))
        .setCreatedAtUnixMillis(d.createdAt().toEpochMilli()).build();
  }

  private static Definition definition(org.opencluster.controller.proto.v1.SecretDefinition p) {
    return new Definition(p.getName(), rotator(p.getRotator()), new HashSet<>(p.getFieldsList()),
        p.getEveryMillis() == 0 ? Optional.empty() : Optional.of(Duration.ofMillis(p.getEveryMillis())),
        CatalogCodec.selector(p.getConsumers()), Instant.ofEpochMilli(p.getCreatedAtUnixMillis()));
  }

  private static org.opencluster.controller.proto.v1.SecretVersion version(Version v) {
    return org.opencluster.controller.proto.v1.SecretVersion.newBuilder().setNumber(v.number())
        .putAllEncryptedFields(v.encryptedFields()).setCreatedAtUnixMillis(v.createdAt().toEpochMilli()).build();
  }

  private static Version version(org.opencluster.controller.proto.v1.SecretVersion p) {
    return new Version(p.getNumber(), p.getEncryptedFieldsMap(), Instant.ofEpochMilli(p.getCreatedAtUnixMillis()));
  }

  private static org.opencluster.controller.proto.v1.SecretDistribution distribution(Distribution d) {
    var b = org.opencluster.controller.proto.v1.SecretDistribution.newBuilder().setVersion(d.version())
        .addAllExpected(new java.util.TreeSet<>(d.expected()));
    d.acknowledged().forEach((node, at) -> b.putAcknowledgedUnixMillis(node, at.toEpochMilli()));
    return b.build();
  }

  private static Distribution distribution(org.opencluster.controller.proto.v1.SecretDistribution p) {
    Map<String, Instant> acknowledged = new TreeMap<>();
    p.getAcknowledgedUnixMillisMap().forEach((node, at) -> acknowledged.put(node, Instant.ofEpochMilli(at)));
    return new Distribution(p.getVersion(), new HashSet<>(p.getExpectedList()), acknowledged);
  }

  private static org.opencluster.controller.proto.v1.SecretFailure failure(Failure f) {
    return org.opencluster.controller.proto.v1.SecretFailure.newBuilder().setVersion(f.version()).setStep(step(f.step()))
        .setMessage(f.message()).setAtUnixMillis(f.at().toEpochMilli()).build();
  }

  private static Failure failure(org.opencluster.controller.proto.v1.SecretFailure p) {
    return new Failure(p.getVersion(), step(p.getStep()), p.getMessage(), Instant.ofEpochMilli(p.getAtUnixMillis()));
  }

  private static SecretStep step(Step step) {
    return SecretStep.valueOf("SECRET_STEP_" + step.name());
  }

  private static Step step(SecretStep step) {
    return Step.valueOf(known(step.name(), "step").substring("SECRET_STEP_".length()));
  }

  private static long millis(Optional<Instant> at) {
    return at.map(Instant::toEpochMilli).orElse(0L);
  }

  private static Optional<Instant> instant(long millis) {
    return millis == 0 ? Optional.empty() : Optional.of(Instant.ofEpochMilli(millis));
  }

  /** Fails closed on a value this build does not know. */
  private static String known(String name, String what) {
    if (name.endsWith("UNSPECIFIED") || name.equals("UNRECOGNIZED")) {
      throw new IllegalArgumentException(what + " carries an unknown value");
    }
    return name;
  }

  private String ref(ActorRef<?> ref) {
    return resolver.toSerializationFormat(ref);
  }

  private <T> ActorRef<T> resolve(String serialized) {
    return resolver.resolveActorRef(serialized);
  }
}

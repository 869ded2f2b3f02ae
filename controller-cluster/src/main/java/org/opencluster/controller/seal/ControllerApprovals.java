package org.opencluster.controller.seal;

import com.google.protobuf.InvalidProtocolBufferException;
import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.opencluster.controller.proto.v1.ControllerApproval;
import org.opencluster.persistence.jdbc.SealedValues;
import org.opencluster.persistence.keys.StorageIntegrityException;
import org.opencluster.protocol.crypto.SecretBytes;
import org.opencluster.protocol.pki.Identity;

/**
 * The controllers approved to receive the cluster key from an unsealed peer. A controller is
 * approved by an operator ({@code opencluster operator approve-controller NAME}) or by being
 * unsealed with operators' shares once; from then on it unseals from its peers after every
 * restart. Approvals are sealed values: only the unsealed cluster writes one, so a database
 * writer cannot approve a controller.
 */
public final class ControllerApprovals {

  static final String KIND = "controller-approval";

  /** One approval. */
  public record Approval(String controller, String approvedBy, Instant approvedAt) {}

  private final SealedValues values;
  private final Clock clock;

  public ControllerApprovals(SealedValues values, Clock clock) {
    this.values = values;
    this.clock = clock;
  }

  /**
   * Approves {@code controller}, replacing an earlier approval.
   *
   * @throws IllegalArgumentException if the name is not a valid controller name
   * @throws IllegalStateException while sealed
   */
  public Approval approve(String controller, String by) {
    requireName(controller);
    Instant now = clock.instant();
    byte[] record = ControllerApproval.newBuilder().setApprovedBy(by).setApprovedAtMillis(now.toEpochMilli()).build()
        .toByteArray();
    try (SecretBytes value = SecretBytes.adopt(record)) {
      values.put(KIND, controller, value);
    }
    return new Approval(controller, by, now);
  }

  /** Approves {@code controller} unless it already is. */
  public void approveIfAbsent(String controller, String by) {
    requireName(controller);
    byte[] record = ControllerApproval.newBuilder().setApprovedBy(by).setApprovedAtMillis(clock.millis()).build()
        .toByteArray();
    try (SecretBytes value = SecretBytes.adopt(record)) {
      values.putIfAbsent(KIND, controller, value);
    }
  }

  /**
   * The approval of {@code controller}, if there is one.
   *
   * @throws StorageIntegrityException if its record fails authentication (forged or altered)
   */
  public Optional<Approval> find(String controller) {
    requireName(controller);
    Optional<SecretBytes> value = values.get(KIND, controller);
    if (value.isEmpty()) {
      return Optional.empty();
    }
    try (SecretBytes record = value.get()) {
      ControllerApproval approval = ControllerApproval.parseFrom(record.copyBytes());
      return Optional.of(new Approval(controller, approval.getApprovedBy(), Instant.ofEpochMilli(approval.getApprovedAtMillis())));
    } catch (InvalidProtocolBufferException e) {
      throw new StorageIntegrityException("the approval of controller " + controller + " is malformed", e);
    }
  }

  /** Every approval, by name. */
  public List<Approval> list() {
    List<Approval> approvals = new ArrayList<>();
    for (String name : values.names(KIND)) {
      find(name).ifPresent(approvals::add);
    }
    return approvals;
  }

  /** @return whether {@code controller} was approved */
  public boolean revoke(String controller) {
    requireName(controller);
    return values.remove(KIND, controller);
  }

  private static void requireName(String controller) {
    if (!Identity.isValidName(controller)) {
      throw new IllegalArgumentException("invalid controller name '" + controller
          + "': 1..63 characters of a-z, 0-9, '.', '_', '-'");
    }
  }
}

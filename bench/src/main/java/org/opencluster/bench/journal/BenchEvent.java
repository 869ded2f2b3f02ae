package org.opencluster.bench.journal;

/** An event of the journal scenario, stored encrypted or in the clear. */
public sealed interface BenchEvent permits BenchEvent.Encrypted, BenchEvent.Plain {

  String payload();

  /** Bound to the encrypting serializer, as every controller event is. */
  record Encrypted(String payload) implements BenchEvent {}

  /** Bound straight to a protobuf-like byte serializer: the baseline. */
  record Plain(String payload) implements BenchEvent {}
}

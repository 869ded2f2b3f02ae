package org.opencluster.protocol.agent;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.protobuf.ByteString;
import com.google.protobuf.CodedOutputStream;
import com.google.protobuf.DescriptorProtos.DescriptorProto.ReservedRange;
import com.google.protobuf.Descriptors.Descriptor;
import com.google.protobuf.Descriptors.EnumDescriptor;
import com.google.protobuf.Descriptors.FieldDescriptor;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.opencluster.protocol.agent.v1.AgentMessage;
import org.opencluster.protocol.agent.v1.AgentProtocol;
import org.opencluster.protocol.agent.v1.Frame;
import org.opencluster.protocol.agent.v1.Heartbeat;

/**
 * Holds agent.proto to its evolution rules. {@code agent.contract} lists every field and enum
 * value ever published, with its number and type:
 *
 * <ul>
 *   <li>a published field may not change number or type, and may only disappear if its number
 *       is reserved;
 *   <li>a new field or value must be added to the contract file in the same change, so the next
 *       change is held to it.
 * </ul>
 */
class AgentProtocolContractTest {

  private static final String CONTRACT = "/opencluster/agent/v1/agent.contract";

  @Test
  void publishedFields_keepTheirNumbersAndTypes_orAreReserved() throws IOException {
    Map<String, String> current = currentContract();
    List<String> broken = new ArrayList<>();
    for (Map.Entry<String, String> published : publishedContract().entrySet()) {
      String now = current.get(published.getKey());
      if (now == null) {
        if (!isReserved(published.getKey(), published.getValue())) {
          broken.add(published.getKey() + " was removed without reserving " + published.getValue());
        }
      } else if (!now.equals(published.getValue())) {
        broken.add(published.getKey() + " changed from '" + published.getValue() + "' to '" + now + "'");
      }
    }
    assertThat(broken).as("breaking changes to agent.proto").isEmpty();
  }

  @Test
  void everyFieldAndValue_isRecordedInTheContract() throws IOException {
    Map<String, String> published = publishedContract();
    List<String> missing = new ArrayList<>();
    currentContract().forEach((name, shape) -> {
      if (!published.containsKey(name)) {
        missing.add(name + " = " + shape);
      }
    });
    assertThat(missing).as("add these lines to " + CONTRACT).isEmpty();
  }

  @Test
  void everyEnum_startsWithUnspecifiedZero() {
    List<String> wrong = new ArrayList<>();
    for (EnumDescriptor e : allEnums()) {
      if (!e.findValueByNumber(0).getName().endsWith("_UNSPECIFIED")) {
        wrong.add(e.getFullName());
      }
    }
    assertThat(wrong).isEmpty();
  }

  @Test
  void fieldsFromANewerPeer_areSkippedByAnOlderReader() throws IOException {
    Heartbeat heartbeat = Heartbeat.newBuilder().setSentAtUnixMillis(1234).setInfoSetVersion(7).build();
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    CodedOutputStream out = CodedOutputStream.newInstance(bytes);
    heartbeat.writeTo(out);
    out.writeString(99, "a field this reader has never heard of");
    out.flush();
    Heartbeat parsed = Heartbeat.parseFrom(bytes.toByteArray());
    assertThat(parsed.getSentAtUnixMillis()).isEqualTo(1234);
    assertThat(parsed.getInfoSetVersion()).isEqualTo(7);
  }

  @Test
  void framePayload_carriesTheExactBytesThatWereMacd() throws IOException {
    byte[] payload = AgentMessage.newBuilder().setHeartbeat(Heartbeat.newBuilder().setMonotonicMillis(5)).build().toByteArray();
    Frame frame = Frame.newBuilder().setNodeId("n-1").setSequence(1).setPayload(ByteString.copyFrom(payload)).build();
    Frame parsed = Frame.parseFrom(frame.toByteArray());
    assertThat(parsed.getPayload().toByteArray()).isEqualTo(payload);
    assertThat(AgentMessage.parseFrom(parsed.getPayload()).getHeartbeat().getMonotonicMillis()).isEqualTo(5);
  }

  private static Map<String, String> currentContract() {
    Map<String, String> lines = new LinkedHashMap<>();
    for (Descriptor message : allMessages()) {
      for (FieldDescriptor field : message.getFields()) {
        String type = field.getType() == FieldDescriptor.Type.MESSAGE ? field.getMessageType().getFullName()
            : field.getType() == FieldDescriptor.Type.ENUM ? field.getEnumType().getFullName()
            : field.getType().name().toLowerCase();
        String oneof = field.getRealContainingOneof() == null ? "" : " oneof " + field.getRealContainingOneof().getName();
        lines.put(message.getFullName() + "." + field.getName(),
            field.getNumber() + " " + (field.isRepeated() ? "repeated " : "") + type + oneof);
      }
    }
    for (EnumDescriptor e : allEnums()) {
      e.getValues().forEach(v -> lines.put(e.getFullName() + "." + v.getName(), String.valueOf(v.getNumber())));
    }
    return lines;
  }

  private static Map<String, String> publishedContract() throws IOException {
    Map<String, String> lines = new LinkedHashMap<>();
    try (InputStream in = AgentProtocolContractTest.class.getResourceAsStream(CONTRACT)) {
      assertThat(in).as(CONTRACT + " on the test class path").isNotNull();
      for (String line : new String(in.readAllBytes(), StandardCharsets.UTF_8).split("\n")) {
        if (line.isBlank() || line.startsWith("#")) {
          continue;
        }
        String[] parts = line.split(" = ", 2);
        lines.put(parts[0].trim(), parts[1].trim());
      }
    }
    return lines;
  }

  /** A removed field is acceptable only when its message reserves the number. */
  private static boolean isReserved(String qualifiedName, String shape) {
    String messageName = qualifiedName.substring(0, qualifiedName.lastIndexOf('.'));
    int number;
    try {
      number = Integer.parseInt(shape.split(" ")[0]);
    } catch (NumberFormatException e) {
      return false;
    }
    for (Descriptor message : allMessages()) {
      if (message.getFullName().equals(messageName)) {
        for (ReservedRange range : message.toProto().getReservedRangeList()) {
          if (number >= range.getStart() && number < range.getEnd()) {
            return true;
          }
        }
      }
    }
    for (EnumDescriptor e : allEnums()) {
      if (e.getFullName().equals(messageName) && e.isReservedNumber(number)) {
        return true;
      }
    }
    return false;
  }

  private static List<Descriptor> allMessages() {
    List<Descriptor> all = new ArrayList<>();
    AgentProtocol.getDescriptor().getMessageTypes().forEach(m -> collect(m, all));
    return all;
  }

  private static void collect(Descriptor message, List<Descriptor> into) {
    into.add(message);
    message.getNestedTypes().forEach(n -> collect(n, into));
  }

  private static List<EnumDescriptor> allEnums() {
    List<EnumDescriptor> all = new ArrayList<>(AgentProtocol.getDescriptor().getEnumTypes());
    allMessages().forEach(m -> all.addAll(m.getEnumTypes()));
    return all;
  }
}

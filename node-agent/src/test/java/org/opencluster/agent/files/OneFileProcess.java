package org.opencluster.agent.files;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;

/**
 * A process that serves one tmpfs file and prints its outcome as {@code OUTCOME <result> <detail>}, for
 * tests that need a process with other limits or privileges than the test JVM's.
 *
 * <p>Arguments: the file's path, then {@code on} or {@code off} for require-locked-memory.
 */
public final class OneFileProcess {

  private OneFileProcess() {}

  public static void main(String[] args) {
    Path path = Path.of(args[0]);
    boolean requireLocked = args[1].equals("on");
    try (SecureFiles files = SecureFiles.create(new FilesSettings(requireLocked, Duration.ofSeconds(5)))) {
      LockedSecret content = Deliveries.secret("child secret");
      List<FileOutcome> outcomes = files.apply(List.of(Deliveries.tmpfs("one", path, content)), List.of(), false);
      FileOutcome outcome = outcomes.get(0);
      System.out.println("OUTCOME " + outcome.result() + " " + outcome.detail());
      System.out.println("LOCKED " + content.isLocked() + " CLOSED " + content.isClosed());
      System.out.flush();
    }
  }
}

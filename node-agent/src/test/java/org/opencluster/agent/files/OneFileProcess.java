package org.opencluster.agent.files;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;

/**
 * A process that serves one tmpfs file, prints its outcome as {@code OUTCOME <result> <detail>} and whether
 * the file held its content, then wipes it on close: for tests that need a process with other limits or
 * privileges than the test JVM's.
 *
 * <p>Arguments: the file's path, then {@code on} or {@code off} for require-locked-memory.
 */
public final class OneFileProcess {

  private OneFileProcess() {}

  public static void main(String[] args) throws IOException {
    Path path = Path.of(args[0]);
    boolean requireLocked = args[1].equals("on");
    try (SecureFiles files = SecureFiles.create(new FilesSettings(requireLocked, Duration.ofSeconds(5)))) {
      LockedSecret content = Deliveries.secret("child secret");
      List<FileOutcome> outcomes = files.apply(List.of(Deliveries.tmpfs("one", path, content)), List.of(), false);
      FileOutcome outcome = outcomes.get(0);
      System.out.println("OUTCOME " + outcome.result() + " " + outcome.detail());
      System.out.println("LOCKED " + content.isLocked() + " CLOSED " + content.isClosed());
      System.out.println("SERVED " + (Files.exists(path) && Files.readString(path).equals("child secret")));
      System.out.flush();
    }
  }
}

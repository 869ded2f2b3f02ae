package org.opencluster.ops.cli;

import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.InvalidPathException;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.Arrays;
import org.opencluster.ops.OpsException;

/**
 * Content an operator points a command at: a file, or standard input for {@code -}, read up to a
 * limit so that a wrong path (a disk image, {@code /dev/zero}) fails at once instead of filling
 * memory. Errors name the source, never its content.
 */
public final class LimitedInput {

  /** The controller's limit on a secure file (and so on anything that goes into one): 64 KiB. */
  public static final int SECURE_FILE_LIMIT = 64 * 1024;

  /** What reads standard input in a command line: {@code -}. */
  public static final String STDIN = "-";

  private LimitedInput() {}

  /**
   * The bytes of {@code source} (a path, or {@link #STDIN} for {@code stdin}); refused when
   * longer than {@code limit}. {@code limitReason} finishes the sentence "... is larger than N
   * KiB, ...". The caller owns the array and should zero it when done.
   */
  public static byte[] read(String source, InputStream stdin, int limit, String limitReason) throws OpsException {
    byte[] bytes;
    if (STDIN.equals(source)) {
      try {
        bytes = stdin.readNBytes(limit + 1);
      } catch (IOException e) {
        throw new OpsException("cannot read standard input: " + e.getMessage(), e);
      }
    } else {
      try (InputStream in = Files.newInputStream(Path.of(source))) {
        bytes = in.readNBytes(limit + 1);
      } catch (NoSuchFileException e) {
        throw new OpsException("cannot read " + source + ": no such file", e);
      } catch (IOException e) {
        throw new OpsException("cannot read " + source + ": " + e.getMessage(), e);
      } catch (InvalidPathException e) {
        throw new OpsException("cannot read '" + source + "': not a path", e);
      }
    }
    if (bytes.length > limit) {
      Arrays.fill(bytes, (byte) 0);
      throw new OpsException(describe(source) + " is larger than " + limit / 1024 + " KiB, " + limitReason);
    }
    return bytes;
  }

  /** {@code bytes} as strict UTF-8 text; refused (naming {@code source}) when they are not. */
  public static String utf8(byte[] bytes, String source) throws OpsException {
    try {
      return StandardCharsets.UTF_8.newDecoder()
          .onMalformedInput(CodingErrorAction.REPORT)
          .onUnmappableCharacter(CodingErrorAction.REPORT)
          .decode(ByteBuffer.wrap(bytes))
          .toString();
    } catch (CharacterCodingException e) {
      throw new OpsException(describe(source) + " is not UTF-8 text");
    }
  }

  /** How a message names {@code source}: the path, or "standard input". */
  public static String describe(String source) {
    return STDIN.equals(source) ? "standard input" : source;
  }
}

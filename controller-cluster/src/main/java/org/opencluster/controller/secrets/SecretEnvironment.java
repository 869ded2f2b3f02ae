package org.opencluster.controller.secrets;

import java.time.Clock;
import java.util.Optional;
import java.util.function.Function;
import org.opencluster.controller.files.ContentCipher;
import org.opencluster.controller.rotation.Rotator;

/**
 * What a secret entity needs from the controller it runs on.
 *
 * @param cipher every field of every version is encrypted with it before it is kept
 * @param rotators the rotator of a kind ("none", "postgresql", ...), if this controller has one
 */
public record SecretEnvironment(SecretSettings settings, Clock clock, ContentCipher cipher,
    Function<String, Optional<Rotator>> rotators) {}

package org.opencluster.agent.files;

/**
 * What became of one staged file of a set ({@link StagedFiles}): the agent reports it to the
 * controllers (agent.proto {@code StagedOutcome}). The detail never holds content.
 *
 * @param secret the rotating shared secret
 * @param secretVersion its pending version
 * @param file the name of the file it is rendered into
 * @param held whether it was opened with this boot's key and is held in locked memory
 * @param detail why it is not held; empty when it is
 */
public record StagedOutcome(String secret, long secretVersion, String file, boolean held, String detail) {}

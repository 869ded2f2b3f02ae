package org.opencluster.ops.cli.dev;

import java.nio.file.Path;

/** Where the dev cluster keeps each of its files, under one directory. */
record DevFiles(Path directory) {

  Path ca() {
    return directory.resolve("ca");
  }

  Path passphrases() {
    return directory.resolve("ca-passphrases.env");
  }

  Path controller() {
    return directory.resolve("controller");
  }

  Path admin() {
    return directory.resolve("admin");
  }

  Path unsealKey() {
    return directory.resolve("dev-unseal.key");
  }

  Path config() {
    return directory.resolve("controller.conf");
  }

  Path ports() {
    return directory.resolve("dev.properties");
  }

  Path data() {
    return directory.resolve("data");
  }

  Path lock() {
    return directory.resolve("dev.lock");
  }

  /** {@code export} lines pointing octl at the dev controller, for {@code source}. */
  Path env() {
    return directory.resolve("env");
  }

  /** The pid of the running 'opencluster dev' that supervises the controller and the agent. */
  Path devPid() {
    return directory.resolve("dev.pid");
  }

  Path controllerPid() {
    return directory.resolve("controller.pid");
  }

  Path agentPid() {
    return directory.resolve("agent.pid");
  }

  /** What a detached 'opencluster dev' prints. */
  Path detachedOut() {
    return directory.resolve("dev.out");
  }

  Path log() {
    return directory.resolve("controller.log");
  }

  /** The demo node's bundle, from 'node register'. */
  Path demoBundle() {
    return directory.resolve("demo-node");
  }

  Path demoTemplate() {
    return directory.resolve("demo-hello.tmpl");
  }

  Path agentLog() {
    return directory.resolve("agent.log");
  }
}

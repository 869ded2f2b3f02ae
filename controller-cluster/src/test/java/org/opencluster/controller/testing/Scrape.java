package org.opencluster.controller.testing;

/** Reads one series out of a Prometheus text scrape. */
public final class Scrape {

  private Scrape() {}

  /** The value of {@code series} (name and labels exactly as scraped), or -1 if the scrape lacks it. */
  public static double value(String scrape, String series) {
    for (String line : scrape.split("\n")) {
      if (line.startsWith(series + " ")) {
        return Double.parseDouble(line.substring(series.length() + 1).trim().split(" ")[0]);
      }
    }
    return -1;
  }
}

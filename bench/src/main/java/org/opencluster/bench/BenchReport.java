package org.opencluster.bench;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * What every benchmark and scenario reports: rows of (figure, unit, value, error, setup), printed
 * as a table and written as JSON under {@code bench/results/}. Figures are compared as ratios
 * within one run; tests never assert them.
 */
public final class BenchReport {

  /** One measured figure. {@code error} is the half-width of the 99.9% interval, or NaN. */
  public record Row(String figure, String unit, double value, double error, String setup) {}

  private final String name;
  private final List<Row> rows = new ArrayList<>();

  public BenchReport(String name) {
    this.name = name;
  }

  public void add(String figure, String unit, double value, double error, String setup) {
    rows.add(new Row(figure, unit, value, error, setup));
  }

  public List<Row> rows() {
    return List.copyOf(rows);
  }

  public void print(PrintStream out) {
    List<String[]> cells = new ArrayList<>();
    cells.add(new String[] {"figure", "unit", "value", "± error", "setup"});
    for (Row row : rows) {
      cells.add(new String[] {row.figure(), row.unit(), format(row.value()),
          Double.isNaN(row.error()) ? "" : format(row.error()), row.setup()});
    }
    int[] widths = new int[5];
    for (String[] line : cells) {
      for (int i = 0; i < line.length; i++) {
        widths[i] = Math.max(widths[i], line[i].length());
      }
    }
    out.println();
    out.println(name);
    for (String[] line : cells) {
      out.printf(Locale.ROOT, "  %-" + widths[0] + "s  %-" + widths[1] + "s  %" + widths[2] + "s  %" + widths[3] + "s  %s%n",
          (Object[]) line);
    }
  }

  /** Writes the report with the machine it ran on. */
  public void write(Path file) throws IOException {
    Map<String, Object> document = new LinkedHashMap<>();
    document.put("report", name);
    document.put("recordedAt", Instant.now().toString());
    document.put("machine", machine());
    document.put("rows", rows);
    Path parent = file.toAbsolutePath().getParent();
    if (parent != null) {
      Files.createDirectories(parent);
    }
    new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT).writeValue(file.toFile(), document);
  }

  /** The JVM and machine, for the setup column and the JSON. */
  public static Map<String, Object> machine() {
    Map<String, Object> machine = new LinkedHashMap<>();
    machine.put("java", System.getProperty("java.vm.name") + " " + System.getProperty("java.version"));
    machine.put("os", System.getProperty("os.name") + " " + System.getProperty("os.arch"));
    machine.put("cores", Runtime.getRuntime().availableProcessors());
    machine.put("maxHeapMiB", Runtime.getRuntime().maxMemory() / (1024 * 1024));
    return machine;
  }

  private static String format(double value) {
    if (Double.isNaN(value)) {
      return "n/a";
    }
    return value >= 100 ? String.format(Locale.ROOT, "%.0f", value) : String.format(Locale.ROOT, "%.3f", value);
  }
}

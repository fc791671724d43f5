package io.github.recurrent4j.examples;

import io.github.recurrent4j.kernel.Kernels;
import io.github.recurrent4j.kernel.Parallel;
import java.io.PrintStream;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The command-line entry point: {@code Main [demo] [--quick] [--help]}. Without a name it runs
 * the default demo.
 */
public final class Main {
  private Main() {}

  static Map<String, Demo> demos() {
    Map<String, Demo> demos = new LinkedHashMap<>();
    for (Demo d : new Demo[] {new FlightBookingDemo(), new CharDemo(), new DateDemo(), new AddingDemo(),
        new TinyTaggerDemo()}) {
      demos.put(d.name(), d);
    }
    return demos;
  }

  public static void main(String[] args) {
    System.exit(run(args, System.out, System.err));
  }

  /** Runs the command line and returns the exit status. */
  static int run(String[] args, PrintStream out, PrintStream err) {
    Map<String, Demo> demos = demos();
    String name = null;
    boolean quick = false;
    // Maven's exec passes -Ddemo.args as one argument, so "dates --quick" arrives as one string.
    for (String arg : String.join(" ", args).trim().split("\\s+")) {
      if (arg.isBlank()) {
        continue;
      }
      switch (arg) {
        case "--help", "-h" -> {
          printHelp(demos, out);
          return 0;
        }
        case "--quick" -> quick = true;
        default -> {
          if (arg.startsWith("-")) {
            err.println("unknown option " + arg + "; see --help");
            return 2;
          }
          if (name != null) {
            err.println("only one demo at a time, got " + name + " and " + arg);
            return 2;
          }
          name = arg;
        }
      }
    }
    Demo demo = demos.get(name == null ? demos.keySet().iterator().next() : name);
    if (demo == null) {
      err.println("no demo named " + name + "; demos: " + String.join(", ", demos.keySet()));
      return 2;
    }
    out.printf("recurrent4j demo %s (kernels: %s, threads: %d)%n", demo.name(), Kernels.active().name(),
        Parallel.threads());
    demo.run(quick, out);
    return 0;
  }

  private static void printHelp(Map<String, Demo> demos, PrintStream out) {
    out.println("usage: Main [demo] [--quick]");
    out.println("demos (the first is the default):");
    for (Demo d : demos.values()) {
      out.printf("  %-12s %s%n", d.name(), d.description());
    }
    out.println("options:");
    out.println("  --quick      a few seconds instead of the full run");
    out.println("  --help       this text");
  }
}

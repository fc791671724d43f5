package io.github.recurrent4j.examples;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.io.StringWriter;
import java.lang.reflect.InvocationTargetException;
import java.net.URL;
import java.net.URLClassLoader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import javax.tools.JavaCompiler;
import javax.tools.ToolProvider;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.TestFactory;
import org.junit.jupiter.api.io.TempDir;

/**
 * Compiles and runs every {@code ```java} block of README.md as it stands, so that no snippet can
 * rot. Each block becomes the body of a method, with the library's packages, {@code java.util} and
 * {@code java.nio.file} imported; its own {@code import} lines are kept. A block whose first line
 * is {@code // continues the example above} runs after the block before it, in the same scope.
 * A line ending in {@code // prints X} must print exactly X, in order.
 */
class ReadmeSnippetsTest {
  private static final String CONTINUES = "// continues the example above";
  private static final Pattern FENCE = Pattern.compile("(?m)^( *)```java\\n(.*?)^\\1```", Pattern.DOTALL);
  private static final Pattern PRINTS = Pattern.compile("//\\s*prints (.+)$");
  private static final String[] PACKAGES = {"io.github.recurrent4j.tensor", "io.github.recurrent4j.nn",
      "io.github.recurrent4j.loss", "io.github.recurrent4j.optim", "io.github.recurrent4j.train",
      "io.github.recurrent4j.io", "io.github.recurrent4j.check", "io.github.recurrent4j.examples", "java.util",
      "java.util.stream", "java.nio.file"};

  @TempDir Path dir;

  record Snippet(int line, String code) {}

  static List<Snippet> snippets() throws Exception {
    String readme = Files.readString(Path.of("README.md"), StandardCharsets.UTF_8);
    List<Snippet> out = new ArrayList<>();
    Matcher m = FENCE.matcher(readme);
    while (m.find()) {
      String indent = m.group(1);
      StringBuilder code = new StringBuilder();
      for (String line : m.group(2).split("\n", -1)) {
        code.append(line.startsWith(indent) ? line.substring(indent.length()) : line).append('\n');
      }
      int line = (int) readme.substring(0, m.start()).chars().filter(c -> c == '\n').count() + 1;
      String text = code.toString();
      if (text.startsWith(CONTINUES)) {
        Snippet previous = out.remove(out.size() - 1);
        out.add(new Snippet(line, previous.code() + text));
      } else {
        out.add(new Snippet(line, text));
      }
    }
    return out;
  }

  @TestFactory
  Stream<DynamicTest> everyJavaSnippetInTheReadmeCompilesRunsAndPrintsWhatItSays() throws Exception {
    List<Snippet> snippets = snippets();
    assertThat(snippets).as("java blocks in README.md").hasSizeGreaterThanOrEqualTo(4);
    return snippets.stream().map(s -> DynamicTest.dynamicTest("README.md line " + s.line(), () -> run(s)));
  }

  private void run(Snippet snippet) throws Exception {
    String name = "Snippet" + snippet.line();
    StringBuilder source = new StringBuilder();
    List<String> body = new ArrayList<>();
    List<String> expected = new ArrayList<>();
    for (String pkg : PACKAGES) {
      source.append("import ").append(pkg).append(".*;\n");
    }
    for (String line : snippet.code().split("\n")) {
      if (line.startsWith("import ")) {
        source.append(line).append('\n');
      } else {
        body.add(line);
        Matcher p = PRINTS.matcher(line);
        if (p.find()) {
          expected.add(p.group(1).trim());
        }
      }
    }
    source.append("public class ").append(name).append(" {\n  public static void run() throws Exception {\n");
    body.forEach(l -> source.append("    ").append(l).append('\n'));
    source.append("  }\n}\n");
    Path file = dir.resolve(name + ".java");
    Files.writeString(file, source);

    JavaCompiler javac = ToolProvider.getSystemJavaCompiler();
    StringWriter errors = new StringWriter();
    boolean compiled = javac.getTask(errors, null, null, List.of("-d", dir.toString(), "-classpath",
        System.getProperty("java.class.path"), "-proc:none"), null,
        javac.getStandardFileManager(null, null, StandardCharsets.UTF_8).getJavaFileObjects(file)).call();
    assertThat(compiled).as("README.md line %d does not compile:%n%s%n%s", snippet.line(), errors, source).isTrue();

    ByteArrayOutputStream printed = new ByteArrayOutputStream();
    PrintStream original = System.out;
    try (URLClassLoader loader = new URLClassLoader(new URL[] {dir.toUri().toURL()}, getClass().getClassLoader())) {
      System.setOut(new PrintStream(printed, true, StandardCharsets.UTF_8));
      loader.loadClass(name).getMethod("run").invoke(null);
    } catch (InvocationTargetException e) {
      throw new AssertionError("README.md line " + snippet.line() + " throws " + e.getCause(), e.getCause());
    } finally {
      System.setOut(original);
    }
    List<String> lines = printed.toString(StandardCharsets.UTF_8).lines().toList();
    assertThat(lines).as("what README.md line %d prints", snippet.line()).containsExactlyElementsOf(expected);
  }
}

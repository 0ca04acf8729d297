package io.github.wsproxy.examples;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;

/** The README's code snippets are the code that compiles and is tested here. */
class ReadmeCodeTest {
  private static final Path ROOT = Path.of("..");

  @Test
  void theReadmeShowsWordFilterAsItIs() throws Exception {
    String source = Files.readString(ROOT.resolve(
        "proxy-examples/src/main/java/io/github/wsproxy/examples/interceptors/WordFilter.java"));
    String readme = Files.readString(ROOT.resolve("README.md"));
    assertThat(readme).contains(source.substring(source.indexOf("public class WordFilter")).strip());
  }

  @Test
  void theReadmeShowsEmbeddedMainAsItIs() throws Exception {
    String source = Files.readString(ROOT.resolve(
        "proxy-examples/src/main/java/io/github/wsproxy/examples/EmbeddedMain.java"));
    String readme = Files.readString(ROOT.resolve("README.md"));
    assertThat(readme).contains(source.substring(source.indexOf("public final class EmbeddedMain")).strip());
  }

  @Test
  void theReadmeShowsWordFilterTestAsItIs() throws Exception {
    String test = Files.readString(ROOT.resolve(
        "proxy-examples/src/test/java/io/github/wsproxy/examples/interceptors/WordFilterTest.java"));
    String body = test.substring(test.indexOf("  @RegisterExtension"), test.lastIndexOf('}')).strip();
    String readme = Files.readString(ROOT.resolve("README.md"));
    assertThat(readme).contains(body.replace("\n  ", "\n"));
  }
}

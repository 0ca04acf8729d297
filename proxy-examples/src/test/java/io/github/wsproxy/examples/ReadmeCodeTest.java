package io.github.wsproxy.examples;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;

/** The README's code snippets are the code that compiles and is tested here. */
class ReadmeCodeTest {
  private static final Path ROOT = Path.of("..");
  private static final String EXAMPLES = "proxy-examples/src/main/java/io/github/wsproxy/examples/";

  @Test
  void theReadmeShowsWordFilterAsItIs() throws Exception {
    assertReadmeShows(EXAMPLES + "interceptors/WordFilter.java", "public class WordFilter");
  }

  @Test
  void theReadmeShowsEmbeddedMainAsItIs() throws Exception {
    assertReadmeShows(EXAMPLES + "EmbeddedMain.java", "public final class EmbeddedMain");
  }

  @Test
  void theReadmeShowsWordFilterTestAsItIs() throws Exception {
    String test = Files.readString(ROOT.resolve(
        "proxy-examples/src/test/java/io/github/wsproxy/examples/interceptors/WordFilterTest.java"));
    String body = test.substring(test.indexOf("  @RegisterExtension"), test.lastIndexOf('}')).strip();
    assertThat(readme()).contains(body.replace("\n  ", "\n"));
  }

  /** The README holds {@code file} from {@code start} to its end, unchanged. */
  private static void assertReadmeShows(String file, String start) throws IOException {
    String source = Files.readString(ROOT.resolve(file));
    assertThat(readme()).contains(source.substring(source.indexOf(start)).strip());
  }

  private static String readme() throws IOException {
    return Files.readString(ROOT.resolve("README.md"));
  }
}

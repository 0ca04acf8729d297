package io.github.wsproxy.examples;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/**
 * The README's code snippets are the code that compiles and is tested here, imports included, and
 * its dependency snippets name this build's artifacts and versions.
 */
class ReadmeCodeTest {
  private static final Path ROOT = Path.of("..");
  private static final String EXAMPLES = "proxy-examples/src/main/java/io/github/wsproxy/examples/";
  private static final String EXAMPLE_TESTS = "proxy-examples/src/test/java/io/github/wsproxy/examples/";

  @Test
  void theReadmeShowsWordFilterAsItIs() throws Exception {
    assertReadmeShows(EXAMPLES + "interceptors/WordFilter.java");
  }

  @Test
  void theReadmeShowsEmbeddedMainAsItIs() throws Exception {
    assertReadmeShows(EXAMPLES + "EmbeddedMain.java");
  }

  @Test
  void theReadmeShowsWordFilterTestAsItIs() throws Exception {
    assertReadmeShows(EXAMPLE_TESTS + "interceptors/WordFilterTest.java");
  }

  @Test
  void theReadmeShowsReadmeSnippetTestAsItIs() throws Exception {
    assertReadmeShows(EXAMPLE_TESTS + "ReadmeSnippetTest.java");
  }

  @Test
  void theReadmeGivesTheArtifactsThisBuildMakesWithItsVersions() throws Exception {
    String pom = Files.readString(ROOT.resolve("pom.xml"));
    String readme = readme();
    assertThat(readme).contains(dependency("io.github.wsproxy", "wsproxy-core", version(pom, "<version>")))
        .contains(dependency("io.github.wsproxy", "wsproxy-test-fixtures", version(pom, "<version>")) + "\n  <scope>test</scope>")
        .contains(dependency("org.junit.jupiter", "junit-jupiter", version(pom, "<junit.version>")))
        .contains(dependency("org.assertj", "assertj-core", version(pom, "<assertj.version>")));
  }

  /** The README holds {@code file} from its first import to its end, unchanged. */
  private static void assertReadmeShows(String file) throws IOException {
    String source = Files.readString(ROOT.resolve(file));
    assertThat(readme()).contains(source.substring(source.indexOf("\nimport ") + 1).strip());
  }

  private static String dependency(String group, String artifact, String version) {
    return "<groupId>" + group + "</groupId>\n  <artifactId>" + artifact + "</artifactId>\n  <version>" + version
        + "</version>";
  }

  /** The first value of an element in the parent POM. */
  private static String version(String pom, String element) {
    Matcher matcher = Pattern.compile(Pattern.quote(element) + "([^<]+)<").matcher(pom);
    assertThat(matcher.find()).as(element).isTrue();
    return matcher.group(1);
  }

  private static String readme() throws IOException {
    return Files.readString(ROOT.resolve("README.md"));
  }
}

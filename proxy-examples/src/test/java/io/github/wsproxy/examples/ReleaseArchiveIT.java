package io.github.wsproxy.examples;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.jar.JarEntry;
import java.util.jar.JarFile;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The release archive as an operator gets it ({@code target/wsproxy-VERSION.tar.gz}, built in
 * {@code package}; this runs in {@code integration-test}): unpacked with {@code tar}, its {@code
 * bin/wsproxy} runs the bundled jar and validates the bundled configuration, its systemd unit
 * waits longer than that configuration's graceful stop, and its jar grants itself native access
 * and bundles, of the test fixtures, only the demo upstreams' server, without JUnit.
 */
class ReleaseArchiveIT {
  private static final Duration DEADLINE = Duration.ofSeconds(60);

  @TempDir
  Path dir;

  @Test
  void unpacksAndChecksItsOwnConfiguration() throws Exception {
    String version = System.getProperty("release.version");
    Path home = unpack();
    assertThat(home.resolve("bin/wsproxy")).isExecutable();
    assertThat(home.resolve("lib/wsproxy.jar")).isRegularFile();
    assertThat(home.resolve("LICENSE")).isRegularFile();

    Result versionRun = run(home, "bin/wsproxy", "--version");
    assertThat(versionRun.code).as(versionRun.output).isZero();
    assertThat(versionRun.output.strip()).isEqualTo("wsproxy " + version);

    Result check = run(home, "bin/wsproxy", "--config", "conf/wsproxy.properties", "--check");
    assertThat(check.code).as(check.output).isZero();
    assertThat(check.output.strip()).isEqualTo("wsproxy: configuration conf/wsproxy.properties ok");

    String conf = Files.readString(home.resolve("conf/wsproxy.properties"));
    String unit = Files.readString(home.resolve("systemd/wsproxy.service"));
    assertThat(unit).contains("Type=exec", "ExecReload=kill -HUP $MAINPID", "KillSignal=SIGTERM",
        "ExecStart=/opt/wsproxy/bin/wsproxy --config /opt/wsproxy/conf/wsproxy.properties");
    long stopSeconds = seconds(conf, "shutdownGrace") + seconds(conf, "closeSpread") + seconds(conf, "closeTimeout");
    assertThat(seconds(unit, "TimeoutStopSec")).isGreaterThan(stopSeconds);
  }

  @Test
  void itsJarGrantsItselfNativeAccess() throws Exception {
    Path home = unpack();
    try (JarFile jar = new JarFile(home.resolve("lib/wsproxy.jar").toFile())) {
      assertThat(jar.getManifest().getMainAttributes().getValue("Enable-Native-Access")).isEqualTo("ALL-UNNAMED");
    }

    // Plain java -jar, without bin/wsproxy's flags: loading the native TLS engine calls System.load,
    // a restricted method, which Java 22 and later warn about unless native access is granted.
    String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
    Result check = run(home, java, "-jar", "lib/wsproxy.jar",
        "--config", "conf/wsproxy.properties", "--tls-engine", "native", "--check");
    assertThat(check.code).as(check.output).isZero();
    assertThat(check.output).startsWith("wsproxy: configuration conf/wsproxy.properties ok").doesNotContain("WARNING");
  }

  @Test
  void itsJarTakesOfTheTestFixturesOnlyTheDemoUpstreamsServerAndNoJUnit() throws Exception {
    Path home = unpack();
    List<String> fixtures = new ArrayList<>();
    List<String> junit = new ArrayList<>();
    try (JarFile jar = new JarFile(home.resolve("lib/wsproxy.jar").toFile())) {
      jar.stream().map(JarEntry::getName).forEach(name -> {
        if (name.startsWith("io/github/wsproxy/testing/") && name.endsWith(".class")) {
          fixtures.add(name.substring("io/github/wsproxy/testing/".length()));
        } else if (name.matches("org/(junit|opentest4j|apiguardian)/.*")) {
          junit.add(name);
        }
      });
    }
    assertThat(fixtures).containsExactlyInAnyOrder("WriteSafeWebSocketServer.class",
        "WriteSafeWebSocketServer$Factory.class", "WrittenWebSocket.class", "UpstreamWriter.class",
        "WriteDemandListener.class");
    assertThat(junit).isEmpty();
  }

  /** The release archive unpacked with tar into the temporary directory; its top directory. */
  private Path unpack() throws IOException, InterruptedException {
    Path archive = Path.of(System.getProperty("release.archive"));
    assertThat(archive).exists();
    assertThat(run(dir, "tar", "xzf", archive.toString()).code).isZero();
    return dir.resolve("wsproxy-" + System.getProperty("release.version"));
  }

  /** The value in seconds of {@code key=Ns} in a file. */
  private static long seconds(String file, String key) {
    Matcher matcher = Pattern.compile("(?m)^" + key + "=(\\d+)s$").matcher(file);
    assertThat(matcher.find()).as(key).isTrue();
    return Long.parseLong(matcher.group(1));
  }

  private record Result(int code, String output) {}

  /** Runs a command in a directory with this JVM as JAVA_HOME; its output and error together. */
  private static Result run(Path directory, String... command) throws IOException, InterruptedException {
    ProcessBuilder builder = new ProcessBuilder(new ArrayList<>(List.of(command))).directory(directory.toFile())
        .redirectErrorStream(true);
    builder.environment().put("JAVA_HOME", System.getProperty("java.home"));
    Process process = builder.start();
    process.getOutputStream().close();
    String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertThat(process.waitFor(DEADLINE.toSeconds(), TimeUnit.SECONDS)).as(String.join(" ", command)).isTrue();
    return new Result(process.exitValue(), output);
  }
}

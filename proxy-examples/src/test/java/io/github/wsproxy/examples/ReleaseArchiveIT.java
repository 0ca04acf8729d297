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
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The release archive as an operator gets it ({@code target/wsproxy-VERSION.tar.gz}, built in
 * {@code package}; this runs in {@code integration-test}): unpacked with {@code tar}, its {@code
 * bin/wsproxy} runs the bundled jar and validates the bundled configuration, and its systemd unit
 * waits longer than that configuration's graceful stop.
 */
class ReleaseArchiveIT {
  private static final Duration DEADLINE = Duration.ofSeconds(60);

  @TempDir
  Path dir;

  @Test
  void unpacksAndChecksItsOwnConfiguration() throws Exception {
    String version = System.getProperty("release.version");
    Path archive = Path.of(System.getProperty("release.archive"));
    assertThat(archive).exists();

    assertThat(run(dir, "tar", "xzf", archive.toString()).code).isZero();
    Path home = dir.resolve("wsproxy-" + version);
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

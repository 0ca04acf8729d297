package io.github.wsproxy.examples;

import io.github.wsproxy.Route;
import io.github.wsproxy.UpstreamGroup;
import io.github.wsproxy.WsProxy;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * The launcher's configuration file: a {@code .properties} file (UTF-8, {@code key=value} or
 * {@code key: value}, {@code #} and {@code !} comments, no line continuations) whose keys are the
 * command-line flags in camelCase ({@code --read-timeout 300s} is {@code readTimeout=300s}; a switch
 * takes {@code true}/{@code false}: {@code preserveHost=true}, {@code permessageDeflate=false}),
 * repeatable flags with an index ({@code upstream.1=ws://...;weight=3}, {@code interceptor.2=...},
 * applied in index order), and routes as {@code route.NAME.KEY}: {@code path}, {@code host}
 * (comma-separated), {@code upstream.N} and the other upstream-group keys, {@code readTimeout},
 * {@code sendTimeout}, {@code connectTimeout}, {@code stripPrefix} ({@code true}: the upstream gets
 * the path without the route's prefix), {@code interceptor.N}.
 *
 * <p>Flags given on the command line next to {@code --config} override the file's keys, as
 * {@code nginx -g} adds directives: a flag replaces the key it names (every index of a repeatable
 * one: {@code --upstream URL} replaces all {@code upstream.N}).
 *
 * <p>Parsing collects every error with its line number instead of stopping at the first, for
 * {@code --check} and for a reload that must keep the running configuration.
 */
public final class ConfigFile {

  /** One problem with the file; line 0 when it concerns the whole file. */
  public record Problem(int line, String message) {
    @Override
    public String toString() {
      return line == 0 ? message : "line " + line + ": " + message;
    }

    /** {@code FILE:LINE: message}, as compilers and {@code nginx -t} print it. */
    public String describe(Path file) {
      return file + (line == 0 ? "" : ":" + line) + ": " + message;
    }
  }

  /**
   * What a file describes: the proxy (not started), the launcher's shutdown grace, accept grace
   * (see {@code --accept-grace}) and admin address
   * (null: none), and what the command line changed in it ({@code --check} prints it); or the
   * problems that keep it from describing one.
   */
  public record Result(WsProxy proxy, Duration shutdownGrace, Duration acceptGrace, InetSocketAddress adminListen,
      List<String> overrides, List<Problem> problems) {
    public boolean ok() {
      return problems.isEmpty();
    }
  }

  /**
   * One line's setting; in a route, {@code key} and {@code base} are relative to {@code scope}
   * ({@code route.NAME.}), which problems put back in front.
   */
  private record Entry(int line, String scope, String key, String base, int index, String value) {}

  private static final Comparator<Entry> IN_INDEX_ORDER = Comparator.comparing(Entry::base).thenComparingInt(Entry::index);
  private static final String ROUTE_PREFIX = "route.";

  private final List<Problem> problems = new ArrayList<>();

  private ConfigFile() {}

  /** Reads and checks a file; an unreadable file is one problem. */
  public static Result load(Path file) {
    return load(file, List.of());
  }

  /** Reads and checks a file with the command line's flags (valid each by itself) over its keys. */
  static Result load(Path file, List<LauncherOptions.Setting> overrides) {
    List<String> lines;
    try {
      lines = Files.readAllLines(file, StandardCharsets.UTF_8);
    } catch (IOException e) {
      return failed(List.of(new Problem(0, "cannot read " + file + ": " + e)));
    }
    return new ConfigFile().read(lines, overrides);
  }

  private Result read(List<String> lines, List<LauncherOptions.Setting> overrides) {
    List<Entry> top = new ArrayList<>();
    Map<String, List<Entry>> routes = new LinkedHashMap<>();
    Map<String, Integer> seen = new HashMap<>();
    for (int i = 0; i < lines.size(); i++) {
      Entry entry = entry(i + 1, lines.get(i).strip());
      if (entry == null) {
        continue;
      }
      Integer first = seen.putIfAbsent(entry.key, entry.line);
      if (first != null) {
        problem(entry, "duplicate key, first set on line " + first);
      } else if (entry.key.startsWith(ROUTE_PREFIX)) {
        String rest = entry.key.substring(ROUTE_PREFIX.length());
        int dot = rest.indexOf('.');
        if (dot <= 0) {
          problem(entry, "expected route.NAME.KEY");
        } else {
          String name = rest.substring(0, dot);
          routes.computeIfAbsent(name, key -> new ArrayList<>())
              .add(split(entry.line, ROUTE_PREFIX + name + ".", rest.substring(dot + 1), entry.value));
        }
      } else {
        top.add(entry);
      }
    }
    List<String> overridden = override(top, overrides);
    LauncherOptions options = LauncherOptions.empty();
    top.sort(IN_INDEX_ORDER);
    for (Entry entry : top) {
      applyFlag(options, entry, false);
    }
    try {
      options.finish();
    } catch (IllegalArgumentException e) {
      // what only the whole file tells (TLS, the upstream group): on the line of the setting it names
      String flag = e.getMessage().split(":", 2)[0];
      Entry named = top.stream().filter(entry -> flagOf(entry.base).equals(flag)).findFirst().orElse(null);
      if (named == null) {
        problems.add(new Problem(0, e.getMessage()));
      } else {
        attempt(named, () -> {
          throw e;
        });
      }
    }
    WsProxy.Builder builder = options.builder();
    routes.forEach((name, entries) -> {
      Route route = route(name, entries);
      if (route != null) {
        attempt(entries.get(0), () -> builder.route(route));
      }
    });
    if (!problems.isEmpty()) {
      return failed(problems);
    }
    try {
      return new Result(builder.build(), options.shutdownGrace(), options.acceptGrace(), options.adminListenAddress(),
          overridden, List.of());
    } catch (IllegalStateException | IllegalArgumentException e) {
      int line = routes.entrySet().stream().filter(route -> e.getMessage().contains("route " + route.getKey() + " "))
          .mapToInt(route -> route.getValue().get(0).line).findFirst().orElse(0);
      return failed(List.of(new Problem(line, e.getMessage())));
    }
  }

  /** The problems in line order, as they appear in the file. */
  private static Result failed(List<Problem> problems) {
    List<Problem> sorted = new ArrayList<>(problems);
    sorted.sort(Comparator.comparingInt(Problem::line));
    return new Result(null, null, null, null, List.of(), List.copyOf(sorted));
  }

  /**
   * Replaces the file's keys named by command-line flags with the flags' values; returns one line
   * per flag saying what it replaced.
   */
  private static List<String> override(List<Entry> top, List<LauncherOptions.Setting> overrides) {
    List<String> report = new ArrayList<>();
    Map<String, Integer> indexes = new HashMap<>();
    for (LauncherOptions.Setting setting : overrides) {
      String key = keyOf(setting.flag());
      int index = LauncherOptions.repeatable(setting.flag()) ? indexes.merge(key, 1, Integer::sum) : 0;
      String value = setting.value() == null ? "true" : setting.value();
      if (index <= 1) {
        List<Entry> replaced = top.stream().filter(entry -> flagOf(entry.base, true).equals(setting.flag())).toList();
        top.removeAll(replaced);
        report.add(setting.flag() + (setting.value() == null ? "" : " " + value) + (replaced.isEmpty()
            ? " (not in the file)"
            : " replaces " + String.join(", ", replaced.stream().map(e -> "line " + e.line + " " + e.key + "=" + e.value)
                .toList())));
      } else {
        report.add(setting.flag() + " " + value);
      }
      top.add(new Entry(0, "command line ", index == 0 ? key : key + "." + index, key, index, value));
    }
    return report;
  }

  /** The key and value of a line; null for blank lines and comments (a problem recorded when malformed). */
  private Entry entry(int line, String text) {
    if (text.isEmpty() || text.startsWith("#") || text.startsWith("!")) {
      return null;
    }
    int separator = -1;
    for (int i = 0; i < text.length(); i++) {
      if (text.charAt(i) == '=' || text.charAt(i) == ':') {
        separator = i;
        break;
      }
    }
    if (separator <= 0) {
      problems.add(new Problem(line, "expected key=value, got \"" + text + "\""));
      return null;
    }
    return split(line, "", text.substring(0, separator).strip(), text.substring(separator + 1).strip());
  }

  /** Splits {@code base.N} into base and index N; a key without an index has index 0. */
  private static Entry split(int line, String scope, String key, String value) {
    int dot = key.lastIndexOf('.');
    if (dot > 0 && key.substring(dot + 1).matches("[0-9]{1,9}")) {
      return new Entry(line, scope, key, key.substring(0, dot), Integer.parseInt(key.substring(dot + 1)), value);
    }
    return new Entry(line, scope, key, key, 0, value);
  }

  /** Applies a key as the flag it names; {@code inRoute} allows only the upstream-group flags. */
  private void applyFlag(LauncherOptions options, Entry entry, boolean inRoute) {
    String flag = flagOf(entry.base, true);
    boolean negated = !flag.equals(flagOf(entry.base));
    if (!LauncherOptions.exists(flag) || LauncherOptions.COMMAND_LINE_ONLY.contains(flag)
        || inRoute && !LauncherOptions.GROUP_FLAGS.contains(flag)) {
      problem(entry, "unknown key" + (inRoute ? " for a route" : ""));
      return;
    }
    if (!entry.base.equals(entry.key) && !LauncherOptions.repeatable(flag)) {
      problem(entry, "takes no index: write " + entry.base + "=...");
      return;
    }
    if (LauncherOptions.takesValue(flag)) {
      String name = flag;
      attempt(entry, () -> options.apply(name, entry.value));
      return;
    }
    String value = entry.value.toLowerCase(Locale.ROOT);
    if (!value.equals("true") && !value.equals("false")) {
      problem(entry, "expected true or false, got \"" + entry.value + "\"");
    } else if (value.equals("true") != negated) {
      options.apply(flag, null);
    }
  }

  private static boolean trueOrFalse(String value) {
    String lower = value.strip().toLowerCase(Locale.ROOT);
    if (!lower.equals("true") && !lower.equals("false")) {
      throw new IllegalArgumentException("expected true or false, got \"" + value + "\"");
    }
    return lower.equals("true");
  }

  private Route route(String name, List<Entry> entries) {
    Route.Builder route;
    try {
      route = Route.builder(name);
    } catch (IllegalArgumentException e) {
      problem(entries.get(0), e.getMessage());
      return null;
    }
    LauncherOptions group = LauncherOptions.empty();
    entries.sort(IN_INDEX_ORDER);
    for (Entry entry : entries) {
      switch (entry.key) {
        case "path" -> attempt(entry, () -> route.path(entry.value));
        case "host" -> attempt(entry, () -> {
          for (String host : entry.value.split(",")) {
            route.host(host);
          }
        });
        case "readTimeout" -> attempt(entry, () -> route.readTimeout(LauncherOptions.duration(entry.value)));
        case "sendTimeout" -> attempt(entry, () -> route.sendTimeout(LauncherOptions.duration(entry.value)));
        case "connectTimeout" -> attempt(entry, () -> route.connectTimeout(LauncherOptions.duration(entry.value)));
        case "stripPrefix" -> attempt(entry, () -> route.stripPrefix(trueOrFalse(entry.value)));
        default -> {
          if (entry.base.equals("interceptor")) {
            attempt(entry, () -> route.interceptor(LauncherOptions.interceptor(entry.value)));
          } else {
            applyFlag(group, entry, true);
          }
        }
      }
    }
    Entry firstUpstream = entries.stream().filter(e -> e.base.equals("upstream")).findFirst().orElse(null);
    if (group.upstreamGiven()) {
      attempt(firstUpstream, () -> route.upstream(group.upstreamGroup(null)));
    } else if (firstUpstream == null
        && entries.stream().anyMatch(e -> LauncherOptions.GROUP_FLAGS.contains(flagOf(e.base)))) {
      problem(entries.get(0), "upstream group settings need route." + name + ".upstream.N");
    }
    return route.build();
  }

  /**
   * The flag a key sets: {@code --read-timeout} for {@code readTimeout}; with {@code negatable},
   * {@code --no-permessage-deflate} for {@code permessageDeflate}, which has no flag of its own.
   */
  private static String flagOf(String key, boolean negatable) {
    String flag = flagOf(key);
    String negated = "--no-" + flag.substring(2);
    return negatable && !LauncherOptions.exists(flag) && LauncherOptions.exists(negated) ? negated : flag;
  }

  /** {@code --read-timeout} to {@code readTimeout}, the key of a flag. */
  private static String keyOf(String flag) {
    StringBuilder key = new StringBuilder();
    boolean upper = false;
    for (char ch : flag.substring(2).toCharArray()) {
      if (ch == '-') {
        upper = true;
      } else {
        key.append(upper ? Character.toUpperCase(ch) : ch);
        upper = false;
      }
    }
    return key.toString();
  }

  /** {@code readTimeout} to {@code --read-timeout}. */
  private static String flagOf(String key) {
    StringBuilder flag = new StringBuilder("--");
    for (char ch : key.toCharArray()) {
      if (Character.isUpperCase(ch)) {
        flag.append('-').append(Character.toLowerCase(ch));
      } else {
        flag.append(ch);
      }
    }
    return flag.toString();
  }

  /** Runs a setter; its failure is a problem of the entry's line, named by the entry's key. */
  private void attempt(Entry entry, Runnable action) {
    try {
      action.run();
    } catch (IllegalArgumentException | IllegalStateException e) {
      String message = e.getMessage();
      int colon = message.indexOf(": ");
      String named = colon < 0 ? "" : message.substring(0, colon);
      boolean namesItself = named.equals(entry.base) || named.equals(flagOf(entry.base)) || named.startsWith("--");
      problem(entry, namesItself ? message.substring(colon + 2) : message);
    }
  }

  private void problem(Entry entry, String message) {
    problems.add(new Problem(entry.line, entry.scope + entry.key + ": " + message));
  }
}

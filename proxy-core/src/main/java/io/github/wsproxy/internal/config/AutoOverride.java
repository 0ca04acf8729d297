package io.github.wsproxy.internal.config;

import java.util.Arrays;
import java.util.Locale;
import java.util.stream.Collectors;

/**
 * Reads the system property that overrides an {@code AUTO} setting (the transport, the TLS
 * engine): its value names another constant of the setting's enum, case and surrounding blanks
 * ignored; unset, blank or {@code AUTO} leaves the choice to AUTO.
 */
public final class AutoOverride {
  private AutoOverride() {}

  /**
   * The constant of {@code type} that the property's {@code value} names.
   *
   * @param setting the setting, e.g. {@code transport}, named in the exception
   * @param value the system property's value; null when it is not set
   * @return that constant, or null when {@code value} is null, blank or {@code AUTO}
   * @throws IllegalArgumentException naming the setting, the property and its value when the value
   *     names no constant of {@code type}
   */
  public static <E extends Enum<E>> E forced(String setting, String property, String value, Class<E> type) {
    String name = value == null ? "" : value.strip().toUpperCase(Locale.ROOT);
    if (name.isEmpty() || name.equals("AUTO")) {
      return null;
    }
    for (E constant : type.getEnumConstants()) {
      if (constant.name().equals(name)) {
        return constant;
      }
    }
    throw new IllegalArgumentException(describe(setting, property, value) + ": expected "
        + Arrays.stream(type.getEnumConstants()).map(Enum::name).filter(each -> !each.equals("AUTO"))
            .collect(Collectors.joining(" or ")));
  }

  /**
   * How a choice forced by the property is named in errors and log lines, e.g. {@code transport
   * AUTO (system property wsproxy.transport=NIO)}.
   */
  public static String describe(String setting, String property, String value) {
    return setting + " AUTO (system property " + property + "=" + value + ")";
  }
}

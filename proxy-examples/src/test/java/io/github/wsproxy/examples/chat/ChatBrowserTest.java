package io.github.wsproxy.examples.chat;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.File;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.openqa.selenium.By;
import org.openqa.selenium.OutputType;
import org.openqa.selenium.WebElement;
import org.openqa.selenium.WindowType;
import org.openqa.selenium.chrome.ChromeDriver;
import org.openqa.selenium.chrome.ChromeDriverService;
import org.openqa.selenium.chrome.ChromeOptions;
import org.openqa.selenium.support.ui.ExpectedConditions;
import org.openqa.selenium.support.ui.WebDriverWait;

/**
 * The chat demo in a real browser: Debian's headless chromium, driven through its chromedriver
 * (both named explicitly, so Selenium Manager never looks for or downloads anything). Two tabs join
 * the same room through the proxy; a bad word typed in one arrives masked in both. Joining no room
 * is refused at the handshake. Skipped when
 * {@code /usr/bin/chromium} or {@code /usr/bin/chromedriver} is missing ({@code .ci/run} installs
 * them). Leaves a screenshot of the receiving tab in {@code target/chat-demo.png}.
 */
class ChatBrowserTest {
  private static final Path CHROMIUM = Path.of("/usr/bin/chromium");
  private static final Path CHROMEDRIVER = Path.of("/usr/bin/chromedriver");
  private static final Path SCREENSHOT = Path.of("target", "chat-demo.png");
  private static final Duration TIMEOUT = Duration.ofSeconds(15);

  private static final boolean BROWSER_PRESENT = Files.isExecutable(CHROMIUM) && Files.isExecutable(CHROMEDRIVER);
  private static final String SKIPPED = "ChatBrowserTest skipped: needs " + CHROMIUM + " and " + CHROMEDRIVER
      + " (apt-get install chromium chromium-driver; .ci/run installs them)";

  private ChatDemo demo;
  private ChromeDriverService service;
  private ChromeDriver browser;

  /** Says why on the console: Surefire counts a skipped test but does not print the assumption's message. */
  @BeforeAll
  static void warnWithoutTheBrowser() {
    if (!BROWSER_PRESENT) {
      System.err.println("[WARNING] " + SKIPPED);
    }
  }

  @BeforeEach
  void start() throws Exception {
    assumeTrue(BROWSER_PRESENT, SKIPPED);
    demo = ChatDemo.start(new InetSocketAddress("127.0.0.1", 0));
    service = new ChromeDriverService.Builder()
        .usingDriverExecutable(CHROMEDRIVER.toFile())
        .usingAnyFreePort()
        .withLogFile(new File("target", "chromedriver.log"))
        .build();
    ChromeOptions options = new ChromeOptions()
        .setBinary(CHROMIUM.toFile())
        .addArguments("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--window-size=900,720",
            "--no-first-run", "--disable-background-networking", "--disable-component-update",
            "--disable-sync", "--disable-extensions");
    browser = new ChromeDriver(service, options);
  }

  @AfterEach
  void stop() {
    if (browser != null) {
      browser.quit();
    }
    if (service != null) {
      service.stop();
    }
    if (demo != null) {
      demo.close();
    }
  }

  @Test
  void twoTabsChatThroughTheProxyAndTheWordFilterMasksBadWords() throws IOException {
    String tabA = browser.getWindowHandle();
    browser.get(demo.pageUri().toString());
    fillAndJoin("alice", "");
    new WebDriverWait(browser, TIMEOUT).until(ExpectedConditions.textToBePresentInElementLocated(By.id("status"),
        "closed (code 1006: the proxy refused the handshake"));
    assertThat(browser.findElement(By.id("send")).isEnabled()).isFalse();

    join("alice", "lobby");
    String welcomeA = awaitLine("li.proxy", "you are in room lobby");
    assertThat(welcomeA).matches("\\[proxy] you are in room lobby, connection \\d+");

    browser.switchTo().newWindow(WindowType.TAB);
    String tabB = browser.getWindowHandle();
    join("bob", "lobby");
    String welcomeB = awaitLine("li.proxy", "you are in room lobby");
    assertThat(welcomeB).isNotEqualTo(welcomeA);

    browser.switchTo().window(tabA);
    awaitLine("li.event", "bob joined");
    WebElement text = browser.findElement(By.id("text"));
    text.sendKeys("oh darn it, the build is green");
    browser.findElement(By.id("send")).click();
    assertThat(awaitLine("li.chat", "alice:")).isEqualTo("alice: oh *** it, the build is green");

    browser.switchTo().window(tabB);
    assertThat(awaitLine("li.chat", "alice:")).isEqualTo("alice: oh *** it, the build is green");
    assertThat(browser.findElement(By.id("messages")).getText()).doesNotContainIgnoringCase("darn");
    assertThat(browser.findElement(By.id("status")).getText()).isEqualTo("connected to room lobby");

    Files.createDirectories(SCREENSHOT.getParent());
    Files.write(SCREENSHOT, browser.getScreenshotAs(OutputType.BYTES));
    assertThat(Files.size(SCREENSHOT)).isPositive();
  }

  private void join(String name, String room) {
    browser.get(demo.pageUri().toString());
    fillAndJoin(name, room);
    new WebDriverWait(browser, TIMEOUT).until(ExpectedConditions.textToBe(By.id("status"), "connected to room " + room));
  }

  private void fillAndJoin(String name, String room) {
    WebElement nameField = browser.findElement(By.id("name"));
    nameField.clear();
    nameField.sendKeys(name);
    WebElement roomField = browser.findElement(By.id("room"));
    roomField.clear();
    roomField.sendKeys(room);
    browser.findElement(By.id("join")).click();
  }

  /** The text of the first line matching {@code selector} in the current tab that contains {@code part}, once it shows. */
  private String awaitLine(String selector, String part) {
    By lines = By.cssSelector("#messages " + selector);
    return new WebDriverWait(browser, TIMEOUT).withMessage(() -> "a line " + selector + " containing \"" + part
            + "\"; the page shows: " + browser.findElement(By.id("messages")).getText())
        .until(driver -> {
          List<WebElement> found = driver.findElements(lines);
          return found.stream().map(WebElement::getText).filter(t -> t.contains(part)).findFirst().orElse(null);
        });
  }
}

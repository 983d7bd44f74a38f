package io.palisade.status;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.time.temporal.ChronoUnit;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalDouble;
import java.util.concurrent.TimeUnit;
import java.util.logging.Level;
import java.util.logging.Logger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.openqa.selenium.By;
import org.openqa.selenium.OutputType;
import org.openqa.selenium.WebElement;
import org.openqa.selenium.chrome.ChromeDriver;
import org.openqa.selenium.chrome.ChromeDriverService;
import org.openqa.selenium.chrome.ChromeOptions;

/**
 * The page as a person sees it, in a real browser: Debian's chromium, headless, driven through its chromedriver, with
 * JavaScript switched off (the page needs none). It checks what is on the screen, not in the markup (visible text,
 * laid-out bars), and keeps a screenshot in {@code target/status-page.png}.
 *
 * <p>Fails (never skips) without chromium and chromedriver: {@code bin/test} installs them, as CI runs it.
 */
class StatusPageBrowserTest {
    static final Path CHROMIUM = Path.of("/usr/bin/chromium");
    static final Path CHROMEDRIVER = Path.of("/usr/bin/chromedriver");
    static final Path SCREENSHOT = Path.of("target/status-page.png");

    /** Selenium looks for a DevTools binding matching the browser's version, finds none and says so; none is used. */
    private static final Logger CDP_LOG = Logger.getLogger(
            "org.openqa.selenium.devtools");

    static {
        CDP_LOG.setLevel(Level.SEVERE);
    }

    private PageFixture fixture;
    private ChromeDriverService service;
    private ChromeDriver browser;

    /** 90 days of uptime with something to see: no data at first, a bad day, a few imperfect ones. */
    static UptimeSource uptime() {
        LocalDate today = LocalDate.ofInstant(PageFixture.T0, ZoneOffset.UTC);
        return (component, day) -> {
            long ago = ChronoUnit.DAYS.between(day, today);
            if (ago > 80) {
                return OptionalDouble.empty();
            }
            if (component.equals("orders") && ago == 0) {
                return OptionalDouble.of(0.962);
            }
            if (component.equals("orders") && ago == 23) {
                return OptionalDouble.of(0.87);
            }
            if (ago % 17 == 5) {
                return OptionalDouble.of(0.995);
            }
            return OptionalDouble.of(1.0);
        };
    }

    @BeforeEach
    void start(@TempDir Path profile) throws Exception {
        assertThat(CHROMIUM).as("chromium is not installed. The browser test runs a real headless chromium and"
                + " never skips; install it (Debian: apt-get install -y chromium chromium-driver), as bin/test"
                + " does.").isExecutable();
        assertThat(CHROMEDRIVER).as("chromedriver is not installed (Debian: apt-get install -y chromium-driver)")
                .isExecutable();
        fixture = new PageFixture(Optional.empty(), uptime());
        Actor ana = Actor.person("ana");
        Incident past = fixture.book.open(new NewIncident("Delayed event delivery",
                "Events are reaching collectors late.", IncidentStatus.INVESTIGATING, Optional.empty(),
                Map.of("collect", ComponentStatus.DEGRADED_PERFORMANCE), true), ana);
        fixture.clock.advance(Duration.ofMinutes(40));
        fixture.book.resolve(past.id(), "Deliveries have caught up.", ana);
        fixture.clock.advance(Duration.ofHours(3));
        Incident now = fixture.book.open(new NewIncident("Elevated error rates on Orders API",
                "We are investigating elevated error rates on Orders API. Orders API: partial outage, about 12% of"
                        + " requests are failing.", IncidentStatus.INVESTIGATING, Optional.empty(),
                Map.of("orders", ComponentStatus.PARTIAL_OUTAGE), true), Actor.palisade());
        fixture.clock.advance(Duration.ofMinutes(6));
        fixture.book.update(now.id(), IncidentEdit.status(IncidentStatus.IDENTIFIED,
                "A faulty database replica is being taken out of rotation."), ana);
        fixture.book.schedule(new NewMaintenance("Database upgrade", "Writes may pause for a few seconds.",
                fixture.clock.instant().plus(Duration.ofDays(2)),
                fixture.clock.instant().plus(Duration.ofDays(2).plusHours(1)), List.of("orders")), ana);
        rendered();

        service = new ChromeDriverService.Builder().usingDriverExecutable(CHROMEDRIVER.toFile()).usingAnyFreePort()
                .build();
        ChromeOptions options = new ChromeOptions();
        options.setBinary(CHROMIUM.toFile());
        options.addArguments("--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                "--disable-component-update", "--no-first-run", "--disable-dev-shm-usage",
                "--user-data-dir=" + profile.toAbsolutePath(), "--window-size=1000,1500", "--lang=en-US");
        options.setExperimentalOption("prefs", Map.of("profile.managed_default_content_settings.javascript", 2));
        browser = new ChromeDriver(service, options);
        browser.manage().timeouts().pageLoadTimeout(Duration.ofSeconds(60));
    }

    /** Waits for a render that saw every change made so far. */
    private void rendered() throws Exception {
        fixture.page.renderNow().get(30, TimeUnit.SECONDS);
    }

    @AfterEach
    void stop() {
        if (browser != null) {
            browser.quit();
        }
        if (service != null) {
            service.stop();
        }
        if (fixture != null) {
            fixture.close();
        }
    }

    @Test
    void aPersonSeesTheStatus_theComponents_theIncident_andTheUptimeBars() throws IOException {
        browser.get(fixture.base() + "/");

        assertThat(browser.getTitle()).isEqualTo("Acme API status");
        assertThat(browser.findElement(By.tagName("h1")).getText()).isEqualTo("Acme API");
        WebElement overall = browser.findElement(By.id("overall"));
        assertThat(overall.isDisplayed()).isTrue();
        assertThat(overall.getText()).isEqualTo("Partial System Outage");

        WebElement orders = browser.findElement(By.id("component-orders"));
        assertThat(orders.findElement(By.className("name")).getText()).isEqualTo("Orders API");
        assertThat(orders.findElement(By.className("status")).getText()).isEqualTo("Partial Outage");
        WebElement collect = browser.findElement(By.id("component-collect"));
        assertThat(collect.findElement(By.className("name")).getText()).isEqualTo("Data collection");
        assertThat(collect.findElement(By.className("status")).getText()).isEqualTo("Operational");

        List<WebElement> bars = orders.findElements(By.cssSelector(".bars span"));
        assertThat(bars).hasSize(90);
        assertThat(bars).allSatisfy(b -> assertThat(b.getRect().getWidth()).isPositive());
        assertThat(bars.getLast().getDomAttribute("class")).isEqualTo("u-warn");
        assertThat(bars.getLast().getDomAttribute("title")).isEqualTo("2 Dec 2026: 96.20%");
        assertThat(bars.getFirst().getDomAttribute("class")).isEqualTo("u-none");
        assertThat(orders.findElement(By.className("legend")).getText()).contains("90 days ago").contains("Today")
                .contains("% uptime");

        WebElement incidents = browser.findElement(By.id("incidents"));
        WebElement incident = incidents.findElement(By.className("incident"));
        assertThat(incident.findElement(By.className("incident-name")).getText())
                .isEqualTo("Elevated error rates on Orders API");
        WebElement latest = incident.findElement(By.cssSelector("ol.updates li"));
        assertThat(latest.isDisplayed()).isTrue();
        assertThat(latest.getText()).startsWith("Identified - A faulty database replica is being taken out of"
                + " rotation.");

        assertThat(browser.findElement(By.id("maintenance")).getText()).contains("Database upgrade")
                .contains("Scheduled");
        WebElement history = browser.findElement(By.id("history"));
        assertThat(history.getText()).contains("Delayed event delivery").contains("Resolved");

        Files.createDirectories(SCREENSHOT.getParent());
        Path shot = browser.getScreenshotAs(OutputType.FILE).toPath();
        Files.copy(shot, SCREENSHOT, StandardCopyOption.REPLACE_EXISTING);
        assertThat(Files.size(SCREENSHOT)).isPositive();
    }

    @Test
    void aScriptInAnIncidentName_isText_notAScript() throws Exception {
        fixture.book.open(new NewIncident("<script>alert('x')</script> in a name", "Nothing runs.",
                IncidentStatus.INVESTIGATING, Optional.of(Impact.NONE), Map.of(), true), Actor.person("ana"));
        rendered();

        browser.get(fixture.base() + "/");

        assertThat(browser.findElements(By.tagName("script"))).isEmpty();
        assertThat(browser.findElements(By.className("incident-name"))).extracting(WebElement::getText)
                .contains("<script>alert('x')</script> in a name");
        assertThat(browser.getTitle()).as("no alert took the page over").isEqualTo("Acme API status");
    }
}

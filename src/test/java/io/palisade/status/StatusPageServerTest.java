package io.palisade.status;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.io.ByteArrayInputStream;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import javax.xml.parsers.DocumentBuilderFactory;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.w3c.dom.Document;
import org.w3c.dom.Element;
import org.w3c.dom.NodeList;

/** The public listener over real HTTP: every path, what it refuses, its headers, and the page following the book. */
class StatusPageServerTest {
    static final List<String> PATHS = List.of("/", "/index.html", "/history.atom", "/api/v2/summary.json",
            "/api/v2/status.json", "/api/v2/components.json", "/api/v2/incidents.json",
            "/api/v2/incidents/unresolved.json", "/api/v2/scheduled-maintenances.json",
            "/api/v2/scheduled-maintenances/upcoming.json", "/api/v2/scheduled-maintenances/active.json");
    private static final String XSS = "<script>alert('pwned')</script> & \"friends\"";

    private PageFixture fixture;

    @AfterEach
    void close() {
        if (fixture != null) {
            fixture.close();
        }
    }

    private void openIncident(String name, String message) throws Exception {
        fixture.book.open(new NewIncident(name, message, IncidentStatus.INVESTIGATING, Optional.empty(),
                Map.of("orders", ComponentStatus.MAJOR_OUTAGE), true), Actor.person("ana"));
        fixture.page.renderNow().get(30, TimeUnit.SECONDS);
    }

    @Test
    void everyPath_answers200_withItsType_CORS_andAnETag() throws Exception {
        fixture = new PageFixture();
        for (String path : PATHS) {
            HttpResponse<String> r = fixture.get(path);

            assertThat(r.statusCode()).as(path).isEqualTo(200);
            String type = r.headers().firstValue("content-type").orElseThrow();
            if (path.endsWith(".json")) {
                assertThat(type).as(path).isEqualTo("application/json; charset=utf-8");
                assertThat(StatusJson.JSON.readTree(r.body()).get("page").get("name").asText()).isEqualTo("Acme API");
            } else if (path.endsWith(".atom")) {
                assertThat(type).isEqualTo("application/atom+xml; charset=utf-8");
            } else {
                assertThat(type).isEqualTo("text/html; charset=utf-8");
                assertThat(r.headers().firstValue("content-security-policy")).contains(StatusHandler.CSP);
            }
            assertThat(r.headers().firstValue("access-control-allow-origin")).as(path).contains("*");
            assertThat(r.headers().firstValue("etag")).as(path).isPresent();
            assertThat(r.headers().firstValue("cache-control")).contains("no-cache");
            assertThat(r.headers().firstValue("x-content-type-options")).contains("nosniff");
        }
        assertThat(fixture.get("/api/v2/summary.json?callback=x").statusCode()).isEqualTo(200);
        assertThat(fixture.get("/").body()).isEqualTo(fixture.get("/index.html").body());
    }

    @Test
    void head_hasTheHeadersOfGet_andNoBody() throws Exception {
        fixture = new PageFixture();
        for (String path : PATHS) {
            HttpResponse<String> get = fixture.get(path);
            HttpResponse<String> head = fixture.call("HEAD", path);

            assertThat(head.statusCode()).as(path).isEqualTo(200);
            assertThat(head.body()).isEmpty();
            assertThat(head.headers().firstValue("content-length")).as(path)
                    .contains(Integer.toString(get.body().getBytes(StandardCharsets.UTF_8).length));
            assertThat(head.headers().firstValue("content-type")).isEqualTo(get.headers().firstValue("content-type"));
            assertThat(head.headers().firstValue("etag")).isEqualTo(get.headers().firstValue("etag"));
            assertThat(head.headers().firstValue("access-control-allow-origin")).contains("*");
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"/nope", "/api/v2/nope.json", "/api/v2", "/api/v2/", "/index.htm", "//",
            "/api/v2/summary.json/", "/../api/v2/summary.json"})
    void anUnknownPath_is404(String path) throws Exception {
        fixture = new PageFixture();
        String raw = "GET " + path + " HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n";

        assertThat(rawCall(raw)).startsWith("HTTP/1.1 404 Not Found");
    }

    @ParameterizedTest
    @ValueSource(strings = {"POST", "PUT", "DELETE", "PATCH", "OPTIONS"})
    void anyOtherMethod_is405_naming_GET_and_HEAD(String method) throws Exception {
        fixture = new PageFixture();

        HttpResponse<String> r = fixture.call(method, "/api/v2/summary.json");

        assertThat(r.statusCode()).isEqualTo(405);
        assertThat(r.headers().firstValue("allow")).contains("GET, HEAD");
        assertThat(r.body()).contains("read-only");
    }

    @Test
    void aPostWithABody_is405_andTheConnectionCloses() throws Exception {
        fixture = new PageFixture();
        String body = "x".repeat(100_000);

        String answer = rawCall("POST /api/v2/incidents.json HTTP/1.1\r\nHost: x\r\nContent-Length: " + body.length()
                + "\r\n\r\n" + body);

        assertThat(answer).startsWith("HTTP/1.1 405").contains("connection: close");
    }

    @Test
    void aMalformedRequest_is400() throws Exception {
        fixture = new PageFixture();

        assertThat(rawCall("GET / HTTP/1.1\r\nHost: x\r\nbad header\r\n\r\n")).startsWith("HTTP/1.1 400");
    }

    @Test
    void ifNoneMatch_withTheCurrentETag_is304() throws Exception {
        fixture = new PageFixture();
        String etag = fixture.get("/api/v2/summary.json").headers().firstValue("etag").orElseThrow();

        HttpResponse<String> r = fixture.get("/api/v2/summary.json", "If-None-Match", etag);

        assertThat(r.statusCode()).isEqualTo(304);
        assertThat(r.body()).isEmpty();
        assertThat(r.headers().firstValue("etag")).contains(etag);
        openIncident("Checkout errors", "Looking.");
        assertThat(fixture.get("/api/v2/summary.json", "If-None-Match", etag).statusCode()).isEqualTo(200);
    }

    @Test
    void keepAlive_servesManyRequestsOnOneConnection_inOrder() throws Exception {
        fixture = new PageFixture();
        StringBuilder pipelined = new StringBuilder();
        for (int i = 0; i < 20; i++) {
            pipelined.append("GET /api/v2/status.json HTTP/1.1\r\nHost: x\r\n\r\n");
        }
        pipelined.append("GET /nope HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");

        String answers = rawCall(pipelined.toString());

        assertThat(answers.split("HTTP/1.1 200 OK", -1)).hasSize(21);
        assertThat(answers).containsOnlyOnce("HTTP/1.1 404").endsWith("Not found.\n");
    }

    @Test
    void theServedPage_followsTheBook() throws Exception {
        fixture = new PageFixture();
        assertThat(fixture.get("/").body()).contains("All Systems Operational").contains("No incidents reported.");

        openIncident("Checkout errors", "We are looking into failed orders.");

        String html = fixture.get("/").body();
        assertThat(html).contains("Major System Outage").contains("Checkout errors")
                .contains("We are looking into failed orders.").contains("Major Outage");
        assertThat(StatusJson.JSON.readTree(fixture.get("/api/v2/status.json").body()).get("status")
                .get("indicator").asText()).isEqualTo("critical");
    }

    @Test
    void everythingAnIncidentSays_isEscapedOnThePage() throws Exception {
        fixture = new PageFixture();

        openIncident(XSS, "Body " + XSS + "\u0001");

        String html = fixture.get("/").body();
        assertThat(html).doesNotContain("<script").doesNotContain("alert('pwned')").doesNotContain("\u0001");
        assertThat(html).contains("&lt;script&gt;alert(&#39;pwned&#39;)&lt;/script&gt; &amp; &quot;friends&quot;");
    }

    @Test
    void theAtomFeed_isValidXml_withOneEntryPerPublishedIncident() throws Exception {
        fixture = new PageFixture();
        openIncident(XSS, "Body \u0001" + XSS);
        fixture.book.open(new NewIncident("A draft", "Hidden.", IncidentStatus.INVESTIGATING, Optional.empty(),
                Map.of(), false), Actor.person("ana"));

        Document feed = parseXml(fixture.get("/history.atom").body());

        Element root = feed.getDocumentElement();
        assertThat(root.getLocalName()).isEqualTo("feed");
        assertThat(root.getNamespaceURI()).isEqualTo("http://www.w3.org/2005/Atom");
        assertThat(text(root, "title")).isEqualTo("Acme API status history");
        assertThat(text(root, "updated")).matches("\\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\d\\.\\d{3}Z");
        NodeList entries = root.getElementsByTagNameNS("http://www.w3.org/2005/Atom", "entry");
        assertThat(entries.getLength()).isEqualTo(1);
        Element entry = (Element) entries.item(0);
        assertThat(text(entry, "title")).as("escaped once, read back as written").isEqualTo(XSS);
        assertThat(text(entry, "id")).startsWith("urn:palisade:status:");
        assertThat(text(entry, "content")).contains("Investigating").contains("&lt;script&gt;");
    }

    @Test
    void exportDir_getsEveryFile_asServed_andFollowsTheBook(@TempDir Path dir) throws Exception {
        Path export = dir.resolve("www/status");
        fixture = new PageFixture(Optional.of(export), UptimeSource.none());
        await().atMost(Duration.ofSeconds(30)).until(() -> Files.exists(export.resolve("index.html")));

        openIncident("Checkout errors", "Looking.");

        await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> assertThat(Files.readString(
                export.resolve("index.html"))).contains("Checkout errors"));
        for (String path : PATHS) {
            if (path.equals("/")) {
                continue;
            }
            Path file = export.resolve(path.substring(1));
            assertThat(file).as(path).exists();
            assertThat(Files.readString(file)).as(path).isEqualTo(fixture.get(path).body());
        }
        try (Stream<Path> all = Files.walk(export)) {
            assertThat(all.filter(Files::isRegularFile).map(p -> export.relativize(p).toString().replace('\\', '/'))
                    .sorted()).as("no temporary file left behind").containsExactly("api/v2/components.json",
                    "api/v2/incidents.json", "api/v2/incidents/unresolved.json",
                    "api/v2/scheduled-maintenances.json", "api/v2/scheduled-maintenances/active.json",
                    "api/v2/scheduled-maintenances/upcoming.json", "api/v2/status.json", "api/v2/summary.json",
                    "history.atom", "index.html");
        }
    }

    @Test
    void anExportDirThatCannotBeWritten_leavesThePageServing(@TempDir Path dir) throws Exception {
        Path blocked = dir.resolve("file");
        Files.writeString(blocked, "not a directory");
        fixture = new PageFixture(Optional.of(blocked.resolve("status")), UptimeSource.none());

        openIncident("Checkout errors", "Looking.");

        assertThat(fixture.get("/").body()).contains("Checkout errors");
    }

    static Document parseXml(String xml) throws Exception {
        DocumentBuilderFactory f = DocumentBuilderFactory.newInstance();
        f.setNamespaceAware(true);
        f.setFeature("http://apache.org/xml/features/disallow-doctype-decl", true);
        return f.newDocumentBuilder().parse(new ByteArrayInputStream(xml.getBytes(StandardCharsets.UTF_8)));
    }

    private static String text(Element parent, String name) {
        NodeList children = parent.getChildNodes();
        for (int i = 0; i < children.getLength(); i++) {
            if (children.item(i) instanceof Element e && e.getLocalName().equals(name)) {
                return e.getTextContent();
            }
        }
        throw new AssertionError("no " + name + " in " + parent.getLocalName());
    }

    /** Sends raw bytes and reads until the server closes (every raw request here ends with a close). */
    private String rawCall(String request) throws Exception {
        try (Socket s = new Socket("127.0.0.1", fixture.server.port())) {
            s.setSoTimeout(20_000);
            OutputStream out = s.getOutputStream();
            try {
                out.write(request.getBytes(StandardCharsets.ISO_8859_1));
                out.flush();
            } catch (java.io.IOException e) {
                // the server may close before it read a body it refused; its answer is still there to read
            }
            InputStream in = s.getInputStream();
            try {
                return new String(in.readAllBytes(), StandardCharsets.ISO_8859_1);
            } catch (java.net.SocketException e) {
                return "";
            }
        }
    }
}

package io.palisade.status;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Instant;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;

/**
 * One render of the page: every path the listener serves with its bytes, content type and ETag. Immutable; the
 * listener reads the current one with a volatile read and writes its bytes, so serving never renders, locks or waits.
 *
 * @param renderedAt when it was rendered (the clock's time)
 */
record PageSnapshot(Map<String, Resource> resources, Instant renderedAt) {
    static final String HTML = "text/html; charset=utf-8";
    static final String JSON = "application/json; charset=utf-8";
    static final String ATOM = "application/atom+xml; charset=utf-8";

    /** A body is shared by every response that sends it, so nobody may write into it. */
    record Resource(byte[] body, String contentType, String etag) {}

    PageSnapshot {
        resources = Map.copyOf(resources);
    }

    Optional<Resource> get(String path) {
        return Optional.ofNullable(resources.get(path));
    }

    /**
     * The listener's paths ({@code /}, {@code /index.html}, {@code /api/v2/...}) for the {@link #files} of one render.
     */
    static PageSnapshot of(Map<String, byte[]> files, Instant renderedAt) {
        Map<String, Resource> out = new LinkedHashMap<>();
        for (Map.Entry<String, byte[]> file : files.entrySet()) {
            String name = file.getKey();
            String type = name.endsWith(".html") ? HTML : name.endsWith(".atom") ? ATOM : JSON;
            out.put("/" + name, new Resource(file.getValue(), type, etag(file.getValue())));
        }
        out.put("/", out.get("/index.html"));
        return new PageSnapshot(out, renderedAt);
    }

    /** File name (relative, {@code /}-separated) to body: what {@code export_dir} gets, and what is served. */
    static Map<String, byte[]> files(PageView view) {
        Map<String, byte[]> out = new LinkedHashMap<>();
        out.put("index.html", StatusHtml.render(view));
        out.put("history.atom", StatusAtom.render(view));
        new StatusJson(view).all().forEach((path, body) -> out.put("api/v2/" + path, body));
        return out;
    }

    private static String etag(byte[] body) {
        try {
            byte[] digest = MessageDigest.getInstance("SHA-256").digest(body);
            return "\"" + HexFormat.of().formatHex(digest, 0, 12) + "\"";
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("every JDK has SHA-256", e);
        }
    }

    static String text(Resource r) {
        return new String(r.body(), StandardCharsets.UTF_8);
    }
}

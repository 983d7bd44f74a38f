package io.palisade.notify;

import io.palisade.config.ConfigNode;
import java.io.IOException;
import java.net.URI;
import java.net.URISyntaxException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Objects;
import java.util.Set;

/**
 * The {@code notify:} section: where status changes are posted as signed webhooks.
 *
 * <pre>{@code
 * notify:
 *   webhooks:
 *     - { url: https://hooks.example.com/palisade, secret_file: /etc/palisade/hook.secret, timeout: 10s }
 * }</pre>
 *
 * The secret is read when the config is read, so a missing, unreadable or badly formed file refuses the config
 * instead of failing every delivery later.
 */
public record WebhookSettings(List<Subscriber> webhooks) {
    public static final Set<String> KEYS = Set.of("webhooks");
    static final Set<String> WEBHOOK_KEYS = Set.of("url", "secret_file", "timeout");
    static final Duration DEFAULT_TIMEOUT = Duration.ofSeconds(10);
    static final int MAX_WEBHOOKS = 50;

    /**
     * One subscriber.
     *
     * @param id     its position's name ({@code webhooks[0]}), the key its outbox messages are kept under
     * @param secret the {@code whsec_} secret, never logged
     */
    public record Subscriber(String id, URI url, String secret, Duration timeout) {
        public Subscriber {
            Objects.requireNonNull(id, "id");
            Objects.requireNonNull(url, "url");
            Objects.requireNonNull(timeout, "timeout");
            WebhookSigner.of(secret).orElseThrow(() -> new IllegalArgumentException("secret not in whsec_ form"));
        }

        WebhookSigner signer() {
            return WebhookSigner.of(secret).orElseThrow();
        }

        @Override
        public String toString() {
            return "Subscriber[" + id + " " + url + "]";
        }
    }

    public WebhookSettings {
        webhooks = List.copyOf(webhooks);
    }

    /** Reads {@code notify:}; no webhooks when absent. Problems go to the node's error list. */
    public static WebhookSettings read(ConfigNode node) {
        if (!node.isPresent()) {
            return new WebhookSettings(List.of());
        }
        if (!node.isObject()) {
            node.invalid("a mapping with webhooks");
            return new WebhookSettings(List.of());
        }
        node.rejectUnknown(KEYS);
        ConfigNode list = node.get("webhooks");
        List<ConfigNode> elements = list.isPresent() ? list.elements() : List.of();
        if (elements.size() > MAX_WEBHOOKS) {
            list.error(elements.size() + " webhooks (expected: at most " + MAX_WEBHOOKS + ")");
        }
        List<Subscriber> out = new ArrayList<>();
        for (int i = 0; i < elements.size(); i++) {
            ConfigNode w = elements.get(i);
            if (!w.isObject()) {
                w.invalid("a mapping like { url: https://hooks.example.com/x, secret_file: /etc/palisade/hook.secret }");
                continue;
            }
            w.rejectUnknown(WEBHOOK_KEYS);
            ConfigNode urlNode = w.get("url");
            String urlText = urlNode.requiredString();
            URI url = null;
            if (urlNode.isPresent()) {
                url = url(urlText);
                if (url == null) {
                    urlNode.invalid("an absolute http or https URL");
                }
            }
            ConfigNode secretNode = w.get("secret_file");
            String secretPath = secretNode.requiredString();
            String secret = secretNode.isPresent() ? secret(secretNode, secretPath) : null;
            Duration timeout = w.get("timeout").duration(DEFAULT_TIMEOUT, ConfigNode.MAX_DURATION);
            if (timeout.isZero() || timeout.isNegative()) {
                w.get("timeout").invalid("a positive duration");
                timeout = DEFAULT_TIMEOUT;
            }
            if (url != null && secret != null) {
                out.add(new Subscriber("webhooks[" + i + "]", url, secret, timeout));
            }
        }
        return new WebhookSettings(out);
    }

    private static URI url(String text) {
        try {
            URI u = new URI(text);
            String scheme = u.getScheme() == null ? "" : u.getScheme().toLowerCase(Locale.ROOT);
            return (scheme.equals("http") || scheme.equals("https")) && u.getHost() != null ? u : null;
        } catch (URISyntaxException e) {
            return null;
        }
    }

    private static String secret(ConfigNode node, String path) {
        String text;
        try {
            text = Files.readString(Path.of(path), StandardCharsets.UTF_8).strip();
        } catch (IOException | RuntimeException e) {
            node.error(path + " cannot be read (expected: a readable file holding a whsec_ secret)");
            return null;
        }
        if (WebhookSigner.of(text).isEmpty()) {
            node.error(path + " does not hold a secret in Standard Webhooks form (expected: whsec_ followed by base64)");
            return null;
        }
        return text;
    }
}

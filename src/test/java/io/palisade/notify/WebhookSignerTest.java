package io.palisade.notify;

import static org.assertj.core.api.Assertions.assertThat;

import io.palisade.config.ConfigErrors;
import io.palisade.config.ConfigNode;
import io.palisade.config.YamlReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Standard Webhooks signatures against the spec's example, and the {@code notify:} section's secrets. */
class WebhookSignerTest {
    static final String SECRET = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";

    @TempDir
    Path dir;

    @Test
    void signsTheSpecsExample() {
        WebhookSigner signer = WebhookSigner.of(SECRET).orElseThrow();
        String sig = signer.sign("msg_p5jXN8AQM9LWM0D4loKWxJek", 1614265330, "{\"test\": 2432232314}");
        assertThat(sig).isEqualTo("v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=");
        assertThat(signer.verify("msg_p5jXN8AQM9LWM0D4loKWxJek", 1614265330, "{\"test\": 2432232314}",
                "v1,bm90LXRoaXM= " + sig)).isTrue();
        assertThat(signer.verify("msg_p5jXN8AQM9LWM0D4loKWxJek", 1614265331, "{\"test\": 2432232314}", sig))
                .isFalse();
    }

    @Test
    void refusesSecretsNotInWhsecForm() {
        assertThat(WebhookSigner.of("MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw")).isEmpty();
        assertThat(WebhookSigner.of("whsec_not base64!")).isEmpty();
        assertThat(WebhookSigner.of("whsec_")).isEmpty();
    }

    private record Read(WebhookSettings settings, List<String> errors) {}

    private static Read read(String yaml) {
        ConfigErrors errors = new ConfigErrors();
        ConfigNode root = new ConfigNode(YamlReader.read(yaml.getBytes(StandardCharsets.UTF_8), "t.yaml", errors), "",
                errors);
        return new Read(WebhookSettings.read(root.get("notify")), errors.list());
    }

    @Test
    void readsWebhooksAndRefusesBadSecretFiles() throws Exception {
        Path good = Files.writeString(dir.resolve("good"), SECRET + "\n");
        Path bad = Files.writeString(dir.resolve("bad"), "hunter2\n");
        Read ok = read("notify:\n  webhooks:\n    - { url: 'https://h.example/x', secret_file: '" + good
                + "', timeout: 3s }\n    - { url: 'http://127.0.0.1:9/y', secret_file: '" + good + "' }\n");
        assertThat(ok.errors()).isEmpty();
        assertThat(ok.settings().webhooks()).hasSize(2);
        assertThat(ok.settings().webhooks().get(0).timeout()).isEqualTo(Duration.ofSeconds(3));
        assertThat(ok.settings().webhooks().get(1).timeout()).isEqualTo(Duration.ofSeconds(10));
        assertThat(ok.settings().webhooks().get(0).toString()).doesNotContain("whsec");

        assertThat(read("notify:\n  webhooks:\n    - { url: 'https://h.example/x', secret_file: '" + bad + "' }\n")
                .errors()).singleElement().asString().contains("notify.webhooks[0].secret_file").contains("whsec_");
        assertThat(read("notify:\n  webhooks:\n    - { url: 'https://h.example/x', secret_file: '" + dir.resolve("nope")
                + "' }\n").errors()).singleElement().asString().contains("notify.webhooks[0].secret_file");
        assertThat(read("notify:\n  webhooks:\n    - { url: 'ftp://h/x', secret_file: '" + good + "', timeout: 2d }\n")
                .errors()).hasSize(2);
        assertThat(read("x: 1\n").settings().webhooks()).isEmpty();
    }
}

package io.palisade.gateway;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.palisade.config.ConfigException;
import io.palisade.testing.GatewayFixture;
import io.palisade.testing.GatewayTest;
import io.palisade.testing.Gateways;
import java.net.URI;
import java.net.http.HttpRequest;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code admin.token_file}: read and checked with the config, and enforced by the gateway's admin port. */
class AdminTokenConfigTest {
    private static final String TOKEN = "gateway-admin-token-0123456789";

    @TempDir
    Path dir;

    private static String config(String tokenFile) {
        return "admin: { address: 127.0.0.1:0, token_file: \"" + tokenFile + "\" }\n" + ConfigLoaderTest.MINIMAL;
    }

    private static List<String> errors(String yaml) {
        try {
            ConfigLoader.parse(yaml, "t.yaml");
        } catch (ConfigException e) {
            return e.errors();
        }
        throw new AssertionError("accepted: " + yaml);
    }

    @Test
    void aTokenFile_isKeptAsAnAbsolutePath() throws Exception {
        Path file = Files.writeString(dir.resolve("token"), TOKEN + "\n");

        GatewayConfig c = ConfigLoader.parse(config(file.toString()), "t.yaml");

        assertThat(c.admin().tokenFile()).hasValue(file.toAbsolutePath());
        assertThat(ConfigLoader.parse(ConfigLoaderTest.MINIMAL, "t.yaml").admin().tokenFile()).isEmpty();
    }

    @Test
    void aRelativeTokenFile_isTakenFromTheWorkingDirectory() {
        Path relative = Path.of("target", "no-such-admin.token");

        assertThat(errors(config(relative.toString()))).containsExactly("admin.token_file: "
                + relative.toAbsolutePath() + ": cannot read (no such file)");
    }

    @Test
    void aMissingShortOrMultiLineToken_refusesTheConfig_namingTheKey() throws Exception {
        Path missing = dir.resolve("missing");
        Path shortToken = Files.writeString(dir.resolve("short"), "  abc12  \n");
        Path twoLines = Files.writeString(dir.resolve("two"), TOKEN + "\n" + TOKEN + "\n");

        assertThat(errors(config(missing.toString())))
                .containsExactly("admin.token_file: " + missing + ": cannot read (no such file)");
        assertThat(errors(config(shortToken.toString())))
                .containsExactly("admin.token_file: " + shortToken + ": a token of 5 characters (expected: at least 16)");
        assertThat(errors(config(twoLines.toString()))).singleElement().asString()
                .startsWith("admin.token_file: " + twoLines + ": not a token").doesNotContain(TOKEN);
        assertThat(errors(config(dir.toString())))
                .containsExactly("admin.token_file: " + dir + ": not a regular file (expected: a file holding the"
                        + " token)");
        assertThat(errors(config(""))).containsExactly(
                "admin.token_file: \"\" (expected: the path of a file holding the admin token)");
    }

    @Test
    void aNonLoopbackAdminAddressWithoutATokenFile_isRefused_namingTheAddress() throws Exception {
        for (String address : List.of("0.0.0.0:9901", "\"[::]:9901\"", "192.0.2.10:9901", "admin.internal:9901")) {
            assertThat(errors("admin: { address: " + address + " }\n" + ConfigLoaderTest.MINIMAL)).as(address)
                    .singleElement().asString().startsWith("admin.address: ").contains("not a loopback address")
                    .contains("admin.token_file");
        }
        Path file = Files.writeString(dir.resolve("token"), TOKEN + "\n");
        GatewayConfig remote = ConfigLoader.parse("admin: { address: 0.0.0.0:9901, token_file: \"" + file + "\" }\n"
                + ConfigLoaderTest.MINIMAL, "t.yaml");
        assertThat(remote.admin().loopbackOnly()).isFalse();
        for (String address : List.of("127.0.0.1:9901", "127.0.0.2:9901", "\"[::1]:9901\"", "localhost:9901")) {
            GatewayConfig local = ConfigLoader.parse("admin: { address: " + address + " }\n"
                    + ConfigLoaderTest.MINIMAL, "t.yaml");
            assertThat(local.admin().loopbackOnly()).as(address).isTrue();
        }
        assertThat(ConfigLoader.parse(ConfigLoaderTest.MINIMAL, "t.yaml").admin().loopbackOnly())
                .as("the default admin address").isTrue();
    }

    @Test
    void anUnknownAdminKey_namesTokenFileAmongTheKnownOnes() {
        assertThat(errors("admin: { tokenfile: x }\n" + ConfigLoaderTest.MINIMAL))
                .containsExactly("admin.tokenfile: unknown key (expected one of: address, tls, token_file)");
    }

    @GatewayTest(loops = 1)
    void theGatewaysAdminPort_wantsTheToken_exceptForTheProbes(Gateways gateways) throws Exception {
        Path file = Files.writeString(dir.resolve("token"), TOKEN);
        GatewayFixture gw = gateways.start(config(file.toString()));

        assertThat(gw.admin("GET", "/healthz").statusCode()).isEqualTo(200);
        assertThat(gw.admin("GET", "/config").statusCode()).isEqualTo(401);
        assertThat(gw.admin("POST", "/config/reload").statusCode()).isEqualTo(401);
        var withToken = gw.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + gw.adminPort() + "/config")),
                "Authorization", "Bearer " + TOKEN);
        assertThat(withToken.statusCode()).isEqualTo(200);
        assertThat(withToken.body()).doesNotContain(TOKEN);
        var versions = gw.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + gw.adminPort()
                + "/config/versions")), "Authorization", "Bearer " + TOKEN);
        assertThat(versions.statusCode()).as("the release history, with the token").isEqualTo(200);
        assertThat(versions.body()).contains("\"version\" : 1");
    }

    @Test
    void aTokenFileGoneAtStart_stopsTheStart_namingTheKey() throws Exception {
        Path file = Files.writeString(dir.resolve("token"), TOKEN);
        Path yaml = Files.writeString(dir.resolve("palisade.yaml"),
                "listeners: { http: { address: 127.0.0.1:0 } }\naccess_log: { enabled: false }\n"
                        + config(file.toString()));
        ConfigLoader.Loaded loaded = ConfigLoader.loadWithSource(yaml);
        Files.delete(file);

        assertThat(loaded.config().admin().tokenFile()).hasValue(file);
        assertThatThrownBy(() -> Gateway.start(yaml)).isInstanceOf(ConfigException.class)
                .hasMessageContaining("admin.token_file");
    }
}

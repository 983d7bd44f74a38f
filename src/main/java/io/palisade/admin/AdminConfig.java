package io.palisade.admin;

import io.netty.util.NetUtil;
import io.palisade.config.Address;
import io.palisade.tls.TlsSettings;
import java.net.InetAddress;
import java.nio.file.Path;
import java.util.Objects;
import java.util.Optional;

/**
 * The admin listener: its own port and event loop, so it answers while the data side is saturated (seed 002).
 *
 * @param tokenFile where the bearer token every admin call but {@code /healthz}, {@code /readyz} and {@code /metrics}
 *                  must present is kept; read once when the admin server starts, so a new token takes a restart.
 *                  Without it, reads are open and changes are accepted only over loopback.
 * @param tls       its {@code tls:} block, as a data listener's: present, the admin port speaks only TLS, so a token
 *                  never crosses a network in clear text
 */
public record AdminConfig(Address address, Optional<Path> tokenFile, Optional<TlsSettings> tls) {
    public AdminConfig {
        Objects.requireNonNull(address, "address");
        Objects.requireNonNull(tokenFile, "tokenFile");
        Objects.requireNonNull(tls, "tls");
    }

    public AdminConfig(Address address, Optional<Path> tokenFile) {
        this(address, tokenFile, Optional.empty());
    }

    public AdminConfig(Address address) {
        this(address, Optional.empty(), Optional.empty());
    }

    /**
     * Whether only this machine can reach the admin port: the address is {@code localhost} or a loopback literal
     * (127.0.0.0/8, {@code ::1}). A wildcard, another interface or any other host name counts as reachable from
     * elsewhere, which needs {@code admin.token_file}, also for {@code /metrics}.
     */
    public boolean loopbackOnly() {
        return isLoopback(address.host());
    }

    /** Whether {@code host} as written in the config names only this machine. */
    public static boolean isLoopback(String host) {
        if (host.equalsIgnoreCase("localhost")) {
            return true;
        }
        InetAddress literal = NetUtil.createInetAddressFromIpAddressString(host);
        return literal != null && literal.isLoopbackAddress();
    }

    /**
     * Why {@code file} cannot serve as {@code admin.token_file}, as a config error message, or empty when it holds a
     * usable token: one line of at least {@value AdminToken#MIN_LENGTH} visible ASCII characters, surrounding
     * whitespace ignored.
     */
    public static Optional<String> tokenFileProblem(Path file) {
        try {
            AdminToken.read(file);
            return Optional.empty();
        } catch (AdminToken.Unusable e) {
            return Optional.of(e.getMessage());
        }
    }
}

package io.palisade.admin;

/**
 * Who made an admin call, for the audit and for the rule that, without {@code admin.token_file}, only loopback may
 * change anything.
 *
 * @param address       the peer's IP address as text ({@code 10.0.0.5}, {@code ::1}), or {@code unknown}
 * @param loopback      the peer is on 127.0.0.0/8 or {@code ::1}
 * @param authenticated the call carried the configured bearer token
 */
public record Caller(String address, boolean loopback, boolean authenticated) {
    public Caller {
        java.util.Objects.requireNonNull(address, "address");
    }

    /**
     * For the audit: {@code token@10.0.0.5} when the token was presented, {@code loopback@127.0.0.1 (no token file)}
     * for a loopback caller without one, {@code anonymous@10.0.0.5} otherwise. A refused call's reason says whether a
     * token was expected: the record does not know whether a token file is set.
     */
    public String describe() {
        if (authenticated) {
            return "token@" + address;
        }
        return loopback ? "loopback@" + address + " (no token file)" : "anonymous@" + address;
    }
}

package io.palisade.server;

import io.netty.handler.codec.http.HttpHeaders;
import io.netty.util.AsciiString;
import io.netty.util.NetUtil;
import io.palisade.config.ConfigNode;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.ArrayList;
import java.util.List;

/**
 * {@code server.trusted_proxies}: the networks (CIDRs) whose {@code X-Forwarded-For} the gateway believes, so that
 * behind a load balancer the client address of per-IP rate limits, the canary's {@code split_by: client_ip}, the
 * access log and the outcome is the real client's, not the balancer's.
 *
 * <p>The rule is nginx's {@code real_ip_recursive on} and Envoy's trusted-CIDR walk: when the connection's peer is
 * trusted, the addresses in {@code X-Forwarded-For} are read from the right (the nearest hop first), skipping trusted
 * ones; the first untrusted address is the client. When every listed address is trusted, the leftmost is the client.
 * An entry that is not an IP address ends the walk at the last address that was believed (a client can write anything
 * on the left, never on the right of what a trusted proxy appended). A peer that is not trusted is the client, whatever
 * it sends. Empty (the default): the peer is always the client.
 *
 * <p>Only the client address changes: the gateway still appends the connection's peer to {@code X-Forwarded-For} on
 * the way upstream, as every proxy in the chain does.
 */
public final class TrustedProxies {
    private static final TrustedProxies NONE = new TrustedProxies(List.of(), List.of(), List.of());
    private static final AsciiString X_FORWARDED_FOR = AsciiString.cached("x-forwarded-for");

    private final List<byte[]> networks;
    private final List<Integer> prefixes;
    private final List<String> written;

    private TrustedProxies(List<byte[]> networks, List<Integer> prefixes, List<String> written) {
        this.networks = networks;
        this.prefixes = prefixes;
        this.written = written;
    }

    /** Nobody is trusted: the connection's peer is the client. */
    public static TrustedProxies none() {
        return NONE;
    }

    /**
     * Reads {@code server.trusted_proxies}: a list of CIDRs ({@code 10.0.0.0/8}, {@code 2001:db8::/32}) or single
     * addresses; errors go to the node's path.
     */
    public static TrustedProxies parse(ConfigNode node) {
        if (!node.isPresent()) {
            return NONE;
        }
        List<byte[]> networks = new ArrayList<>();
        List<Integer> prefixes = new ArrayList<>();
        List<String> texts = new ArrayList<>();
        List<ConfigNode> elements = node.elements();
        for (ConfigNode e : elements) {
            String text = e.string("");
            int slash = text.indexOf('/');
            byte[] address = NetUtil.createByteArrayFromIpAddressString(slash < 0 ? text : text.substring(0, slash));
            int bits = address == null ? 0 : address.length * 8;
            int prefix = bits;
            if (address != null && slash >= 0) {
                try {
                    prefix = Integer.parseInt(text.substring(slash + 1));
                } catch (NumberFormatException ex) {
                    prefix = -1;
                }
            }
            if (address == null || prefix < 0 || prefix > bits) {
                e.error(io.palisade.config.Syntax.quote(text)
                        + " (expected: an IP address or a CIDR such as 10.0.0.0/8 or 2001:db8::/32)");
                continue;
            }
            networks.add(mask(address, prefix));
            prefixes.add(prefix);
            texts.add(text);
        }
        if (networks.isEmpty()) {
            return NONE;
        }
        return new TrustedProxies(List.copyOf(networks), List.copyOf(prefixes), List.copyOf(texts));
    }

    /** The CIDRs as written, for {@code /config}. */
    public List<String> cidrs() {
        return written;
    }

    public boolean isEmpty() {
        return networks.isEmpty();
    }

    /** Whether {@code ip} (a literal) is in a trusted network. */
    public boolean trusts(String ip) {
        byte[] a = NetUtil.createByteArrayFromIpAddressString(ip);
        return a != null && trusts(a);
    }

    private boolean trusts(byte[] a) {
        byte[] mapped = a.length == 16 && isV4Mapped(a) ? java.util.Arrays.copyOfRange(a, 12, 16) : a;
        for (int i = 0; i < networks.size(); i++) {
            byte[] n = networks.get(i);
            if (n.length == mapped.length && inNetwork(mapped, n, prefixes.get(i))) {
                return true;
            }
        }
        return false;
    }

    /** Whether the first {@code prefix} bits of {@code a} are those of {@code network}, without copying either. */
    private static boolean inNetwork(byte[] a, byte[] network, int prefix) {
        for (int i = 0; i < a.length; i++) {
            int keep = Math.max(0, Math.min(8, prefix - i * 8));
            if (keep == 0) {
                return true;
            }
            int m = 0xff << (8 - keep) & 0xff;
            if ((a[i] & m) != (network[i] & m)) {
                return false;
            }
        }
        return true;
    }

    /** The client's address for a request that came from {@code peer} with these headers (see the class comment). */
    public String clientIp(String peer, HttpHeaders headers) {
        if (networks.isEmpty() || !trusts(peer)) {
            return peer;
        }
        List<String> values = headers.getAll(X_FORWARDED_FOR);
        if (values.isEmpty()) {
            return peer;
        }
        List<String> hops = new ArrayList<>();
        for (String v : values) {
            for (String part : v.split(",")) {
                hops.add(part.strip());
            }
        }
        String believed = peer;
        for (int i = hops.size() - 1; i >= 0; i--) {
            String hop = hops.get(i);
            byte[] a = NetUtil.createByteArrayFromIpAddressString(hop);
            if (a == null) {
                return believed;
            }
            String canonical = canonical(a, hop);
            if (!trusts(a)) {
                return canonical;
            }
            believed = canonical;
        }
        return believed;
    }

    private static String canonical(byte[] address, String fallback) {
        try {
            return InetAddress.getByAddress(address).getHostAddress();
        } catch (UnknownHostException e) {
            return fallback;
        }
    }

    private static boolean isV4Mapped(byte[] a) {
        for (int i = 0; i < 10; i++) {
            if (a[i] != 0) {
                return false;
            }
        }
        return a[10] == (byte) 0xff && a[11] == (byte) 0xff;
    }

    private static byte[] mask(byte[] address, int prefix) {
        byte[] out = address.clone();
        for (int i = 0; i < out.length; i++) {
            int keep = Math.max(0, Math.min(8, prefix - i * 8));
            out[i] = (byte) (out[i] & (0xff << (8 - keep)));
        }
        return out;
    }

    @Override
    public String toString() {
        return written.toString();
    }
}

package io.palisade.gateway;

import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpRequest;
import io.palisade.auth.AuthSettings;
import io.palisade.proxy.TrafficSplit;
import io.palisade.release.SplitBy;
import java.util.concurrent.ThreadLocalRandom;

/**
 * The canary's share of requests as a {@link TrafficSplit}. Sticky splits hash the client's address or credential
 * into 10,000 buckets and send the lowest {@code share} of them to the canary: as the share grows, every client that
 * was on the canary stays there, and no client flips between versions within a step.
 */
final class Splits {
    static final int BUCKETS = 10_000;

    private Splits() {}

    static TrafficSplit of(double share, SplitBy by, AuthSettings auth) {
        int below = (int) Math.round(share * BUCKETS);
        return switch (by) {
            case REQUEST -> (ip, request) -> ThreadLocalRandom.current().nextInt(BUCKETS) < below;
            case CLIENT_IP -> (ip, request) -> bucket(ip) < below;
            case CONSUMER -> {
                String keyHeader = auth.apiKey().header();
                // Before authentication runs the consumer is not known yet; its credential identifies it as well.
                // A request with none is bound by its address.
                yield (ip, request) -> bucket(credential(request, keyHeader, ip)) < below;
            }
        };
    }

    private static String credential(HttpRequest request, String keyHeader, String ip) {
        String key = request.headers().get(keyHeader);
        if (key != null) {
            return key;
        }
        String authorization = request.headers().get(HttpHeaderNames.AUTHORIZATION);
        return authorization != null ? authorization : ip;
    }

    /** A well-mixed bucket: String.hashCode alone puts neighbouring addresses in neighbouring buckets. */
    static int bucket(String s) {
        int h = s.hashCode();
        h ^= h >>> 16;
        h *= 0x85ebca6b;
        h ^= h >>> 13;
        h *= 0xc2b2ae35;
        h ^= h >>> 16;
        return Math.floorMod(h, BUCKETS);
    }
}

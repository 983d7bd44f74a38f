package io.palisade.auth;

import static org.assertj.core.api.Assertions.assertThat;

import com.code_intelligence.jazzer.api.FuzzedDataProvider;
import com.code_intelligence.jazzer.junit.FuzzTest;
import io.palisade.error.ErrorKind;
import io.palisade.time.Ticker;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.time.Clock;
import java.time.Duration;
import java.util.Base64;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;
import org.junit.jupiter.api.Test;

/**
 * Fuzzes JWT parsing and verification (an HS256 provider, so no key set is fetched): the input is either a raw token
 * or a header and a payload the fuzzer writes, signed with the provider's secret (so the claim checks run) or with
 * a signature it writes. Every token gets a decision, synchronously, and no exception escapes. The corpus is
 * {@code src/test/resources/io/palisade/auth/JwtFuzzTestInputs/verify}; bin/fuzz fuzzes.
 */
class JwtFuzzTest {
    private static final byte[] SECRET = "fuzz-hs256-secret-0123456789abcdefghij".getBytes(StandardCharsets.US_ASCII);
    private static final Base64.Encoder B64 = Base64.getUrlEncoder().withoutPadding();
    private static final JwtProvider PROVIDER = new JwtProvider(new AuthSettings.Jwt("idp", Optional.empty(),
            "https://idp.example", Set.of("app"), Duration.ofSeconds(30), Duration.ofSeconds(2),
            Duration.ofMinutes(5), Duration.ofSeconds(10), "sub", "groups", "scope", Set.of(AuthSettings.HS256),
            Optional.of(new AuthSettings.Secret(SECRET))), null, Ticker.system(), Clock.systemUTC(), null);

    @FuzzTest(maxDuration = "10s")
    void verify(FuzzedDataProvider data) throws GeneralSecurityException {
        int mode = data.consumeInt(0, 2);
        String token;
        if (mode == 0) {
            token = data.consumeRemainingAsString();
        } else {
            String header = B64.encodeToString(data.consumeString(300).getBytes(StandardCharsets.UTF_8));
            String payload = B64.encodeToString(data.consumeString(3000).getBytes(StandardCharsets.UTF_8));
            String signature = mode == 1 ? B64.encodeToString(hmac(header + "." + payload))
                    : data.consumeRemainingAsString();
            token = header + "." + payload + "." + signature;
        }
        CompletableFuture<AuthDecision> decision = PROVIDER.verify(token, Map.of()).toCompletableFuture();
        assertThat(decision).as("an HS256 token is decided at once").isDone();
        assertThat(decision.join()).isNotNull();
    }

    /** Found by this fuzz test: a header or claims set that is the JSON {@code null} threw out of Nimbus. */
    @Test
    void aHeaderOrClaimsThatAreJsonNull_areAMalformedToken_notAnException() {
        String nul = B64.encodeToString("null".getBytes(StandardCharsets.US_ASCII));
        String empty = B64.encodeToString("{}".getBytes(StandardCharsets.US_ASCII));
        String alg = B64.encodeToString("{\"alg\":\"HS256\"}".getBytes(StandardCharsets.US_ASCII));
        String[] tokens = {nul + "." + empty + ".c2ln", alg + "." + nul + ".c2ln", nul + "." + nul + "."};
        for (String token : tokens) {
            AuthDecision d = PROVIDER.verify(token, Map.of()).toCompletableFuture().join();
            assertThat(d.error()).as(token).contains(ErrorKind.UNAUTHENTICATED);
        }
    }

    private static byte[] hmac(String signingInput) throws GeneralSecurityException {
        Mac mac = Mac.getInstance("HmacSHA256");
        mac.init(new SecretKeySpec(SECRET, "HmacSHA256"));
        return mac.doFinal(signingInput.getBytes(StandardCharsets.US_ASCII));
    }
}

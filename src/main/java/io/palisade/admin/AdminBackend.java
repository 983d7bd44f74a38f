package io.palisade.admin;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.concurrent.CompletionStage;

/**
 * What the admin port shows and controls. The gateway implements it; the admin server only renders it, so the admin
 * side has no reach into the data path beyond these reads and the reload command.
 */
public interface AdminBackend {
    /** Ready for traffic: listeners bound and not draining. */
    boolean ready();

    /** The Prometheus text exposition. */
    String metrics();

    /** The live config with secrets redacted, and its version. */
    JsonNode config();

    /** Clusters and endpoints with health and ejection state. */
    JsonNode clusters();

    /** Re-reads the config file, validates it and swaps it in whole, or keeps the live one and reports why. */
    CompletionStage<ReloadResult> reload();
}

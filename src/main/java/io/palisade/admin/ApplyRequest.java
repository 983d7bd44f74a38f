package io.palisade.admin;

/**
 * The body of {@code POST /config/versions}: a config to validate, store and roll out. {@code message} and
 * {@code author} are empty strings when the caller left them out; the release manager decides whether that is
 * acceptable.
 *
 * @param direct activate at once instead of a staged rollout
 * @param force  go ahead despite pre-flight warnings
 */
public record ApplyRequest(String yaml, String message, String author, boolean direct, boolean force) {
    public ApplyRequest {
        java.util.Objects.requireNonNull(yaml, "yaml");
        java.util.Objects.requireNonNull(message, "message");
        java.util.Objects.requireNonNull(author, "author");
    }
}

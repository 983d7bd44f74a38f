package io.palisade.proxy;

/**
 * @param enabled whether a JSON line is written per request
 * @param target  {@code stdout} or a file path
 */
public record AccessLogConfig(boolean enabled, String target) {}

package io.palisade.admin;

import java.util.List;

/**
 * What a reload did: either the new version is live, or nothing changed and {@code errors} says why (as
 * {@code path: message}).
 */
public record ReloadResult(boolean applied, String version, List<String> errors) {
    public static ReloadResult applied(String version) {
        return new ReloadResult(true, version, List.of());
    }

    public static ReloadResult refused(String liveVersion, List<String> errors) {
        return new ReloadResult(false, liveVersion, List.copyOf(errors));
    }
}

package io.palisade.error;

/** How a failure is named in logs and operator-facing figures: by its root cause, which says what really happened. */
public final class Causes {
    private Causes() {}

    /**
     * The root cause's message, or its class name when it has none ("Connection refused" rather than a chain of
     * wrappers); "unknown error" for null.
     */
    public static String describe(Throwable t) {
        if (t == null) {
            return "unknown error";
        }
        Throwable root = t;
        while (root.getCause() != null && root.getCause() != root) {
            root = root.getCause();
        }
        String message = root.getMessage();
        return message == null ? root.getClass().getSimpleName() : message;
    }
}

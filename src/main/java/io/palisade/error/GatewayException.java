package io.palisade.error;

import java.util.EnumMap;
import java.util.Map;

/**
 * A failure of a known {@link ErrorKind}. Stackless and immutable: these are thrown or returned on the hot path (a
 * flood of 429s or 503s must not cost a stack walk each), and a shared instance per kind is safe to reuse.
 */
public final class GatewayException extends RuntimeException {
    private static final long serialVersionUID = 1L;
    private static final Map<ErrorKind, GatewayException> SHARED = new EnumMap<>(ErrorKind.class);

    static {
        for (ErrorKind kind : ErrorKind.values()) {
            SHARED.put(kind, new GatewayException(kind));
        }
    }

    private final transient ErrorKind kind;

    private GatewayException(ErrorKind kind) {
        super(kind.code(), null, false, false);
        this.kind = kind;
    }

    /** The shared instance for {@code kind}. */
    public static GatewayException of(ErrorKind kind) {
        return SHARED.get(kind);
    }

    public ErrorKind kind() {
        return kind;
    }
}

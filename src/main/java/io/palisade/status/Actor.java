package io.palisade.status;

import java.util.Objects;

/**
 * Who made a change to an incident or a maintenance: a person (as the admin API identified them) or Palisade itself
 * (an automatic incident). Kept with every update, so the history says which words a person wrote.
 *
 * @param name the person's name; {@code palisade} for the gateway
 */
public record Actor(Kind kind, String name) {
    public enum Kind { PERSON, PALISADE }

    private static final Actor PALISADE = new Actor(Kind.PALISADE, "palisade");

    public Actor {
        Objects.requireNonNull(kind, "kind");
        Objects.requireNonNull(name, "name");
        if (name.isBlank()) {
            throw new IllegalArgumentException("an actor has a name");
        }
    }

    public static Actor palisade() {
        return PALISADE;
    }

    public static Actor person(String name) {
        return new Actor(Kind.PERSON, name);
    }

    public boolean isPalisade() {
        return kind == Kind.PALISADE;
    }
}

package io.palisade.admin;

public record Caller(String address, boolean loopback, boolean authenticated) {
    public String describe() {
        return authenticated ? "token@" + address : (loopback ? "loopback@" + address + " (no token file)" : address);
    }
}

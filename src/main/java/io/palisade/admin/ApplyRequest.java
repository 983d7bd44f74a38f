package io.palisade.admin;

public record ApplyRequest(String yaml, String message, String author, boolean direct, boolean force) {}

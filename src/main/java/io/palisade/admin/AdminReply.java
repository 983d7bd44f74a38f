package io.palisade.admin;

public record AdminReply(int status, com.fasterxml.jackson.databind.JsonNode body) {}

package io.palisade.canary;

/** Both versions' figures over the same window: the current rollout step. */
public record Figures(Side baseline, Side canary) {}

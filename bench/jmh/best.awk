# Reads JMH's console output and prints, per benchmark and parameters, the best (lowest) and worst measurement
# iteration and the allocation per operation. On a shared machine the best iteration is the closest estimate of the
# uncontended cost; the spread says how much the machine interfered.
/^# Benchmark: / { b = $3; sub(/^io\.palisade\.[a-z]+\./, "", b); p = ""; inIter = 0 }
/^# Parameters: / { p = $0; sub(/^# Parameters: /, "", p) }
/^# Warmup Iteration/ { inIter = 0; next }
/^Iteration +[0-9]+:/ { inIter = 1 }
inIter && / ns\/op$/ {
    v = $(NF - 1) + 0; k = b (p == "" ? "" : " " p)
    if (!(k in best) || v < best[k]) best[k] = v
    if (!(k in worst) || v > worst[k]) worst[k] = v
    if (!(k in seen)) { seen[k] = 1; keys[++n] = k }
    inIter = 0
}
/gc\.alloc\.rate\.norm:/ && k != "" { alloc[k] = $(NF - 1) }
END {
    if (n == 0) exit
    printf "%-62s %10s %10s %10s\n", "benchmark", "best ns", "worst ns", "B/op"
    for (i = 1; i <= n; i++) {
        k = keys[i]
        printf "%-62s %10.1f %10.1f %10s\n", k, best[k], worst[k], (k in alloc) ? alloc[k] : "-"
    }
}

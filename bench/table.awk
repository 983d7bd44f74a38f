# Turns bench/run's raw results (tab-separated, one line per run) into the table: per scenario and contender, the
# median of each figure over the repeats, the min–max of requests/s, and ratios to the backend and to nginx.
# Input: scenario contender repeat "ok" rps p50_us p99_us p999_us peak_rss_kib cpu_us_per_req errors requests
#    or: scenario contender repeat "skip" reason
# Written for POSIX awk (mawk has no asort).

BEGIN { FS = "\t" }

$4 == "ok" {
    k = $1 SUBSEP $2
    n = ++count[k]
    rps[k, n] = $5; p50[k, n] = $6; p99[k, n] = $7; p999[k, n] = $8
    rss[k, n] = $9; cpu[k, n] = $10
    errors[k] += $11; requests[k] += $12
    next
}
$4 == "skip" {
    k = $1 SUBSEP $2
    if (!(k in reason)) reason[k] = $5
}

function median(arr, k, n,    i, j, v, tmp) {
    for (i = 1; i <= n; i++) tmp[i] = arr[k, i] + 0
    for (i = 2; i <= n; i++) {
        v = tmp[i]
        for (j = i - 1; j >= 1 && tmp[j] > v; j--) tmp[j + 1] = tmp[j]
        tmp[j + 1] = v
    }
    if (n % 2) return tmp[(n + 1) / 2]
    return (tmp[n / 2] + tmp[n / 2 + 1]) / 2
}
function minof(arr, k, n,    i, m) { m = arr[k, 1] + 0; for (i = 2; i <= n; i++) if (arr[k, i] + 0 < m) m = arr[k, i] + 0; return m }
function maxof(arr, k, n,    i, m) { m = arr[k, 1] + 0; for (i = 2; i <= n; i++) if (arr[k, i] + 0 > m) m = arr[k, i] + 0; return m }
function ms(us) { return sprintf("%.2f", us / 1000) }
function ratio(a, b) { return (b > 0) ? sprintf("%.2f", a / b) : "-" }

END {
    ns = split(scenarios, sc, " ")
    nc = split(contenders, co, " ")
    fmt = "%-9s %-9s %10s %19s %8s %8s %9s %9s %8s %7s %7s %8s %8s\n"
    printf fmt, "scenario", "contender", "req/s", "req/s min-max", "p50 ms", "p99 ms", "p99.9 ms", "RSS MiB", "CPU us", \
        "x back", "x nginx", "p99/ngx", "errors"
    for (i = 1; i <= ns; i++) {
        s = sc[i]
        for (j = 1; j <= nc; j++) {
            k = s SUBSEP co[j]
            if (count[k] > 0) {
                med_rps[k] = median(rps, k, count[k])
                med_p99[k] = median(p99, k, count[k])
            }
        }
        kb = s SUBSEP "backend"; kn = s SUBSEP "nginx"
        for (j = 1; j <= nc; j++) {
            c = co[j]; k = s SUBSEP c; n = count[k]
            if (n == 0) {
                printf "%-9s %-9s skipped: %s\n", s, c, (k in reason) ? reason[k] : "not run"
                continue
            }
            spread = sprintf("%d-%d", minof(rps, k, n), maxof(rps, k, n))
            xb = (kb in med_rps) ? ratio(med_rps[k], med_rps[kb]) : "-"
            xn = (kn in med_rps) ? ratio(med_rps[k], med_rps[kn]) : "-"
            pn = (kn in med_p99) ? ratio(med_p99[k], med_p99[kn]) : "-"
            printf fmt, s, c, sprintf("%d", med_rps[k]), spread, ms(median(p50, k, n)), ms(med_p99[k]), \
                ms(median(p999, k, n)), sprintf("%.0f", median(rss, k, n) / 1024), sprintf("%.1f", median(cpu, k, n)), \
                xb, xn, pn, errors[k] + 0
        }
    }
    # The unloaded scenario's point is the latency a proxy adds to one request at a time: its percentiles minus the
    # bare backend's, from the same run.
    ku = "unloaded" SUBSEP "backend"
    if (count[ku] > 0) {
        bp50 = median(p50, ku, count[ku]); bp99 = median(p99, ku, count[ku]); bp999 = median(p999, ku, count[ku])
        print ""
        printf "unloaded (1 connection, 1 request in flight): latency added to the bare backend's (p50 %s / p99 %s / p99.9 %s ms)\n", \
            ms(bp50), ms(bp99), ms(bp999)
        printf "%-9s %12s %12s %12s\n", "contender", "added p50", "added p99", "added p99.9"
        for (j = 1; j <= nc; j++) {
            c = co[j]; k = "unloaded" SUBSEP c; n = count[k]
            if (c == "backend" || n == 0) continue
            printf "%-9s %9.3f ms %9.3f ms %9.3f ms\n", c, (median(p50, k, n) - bp50) / 1000, \
                (median(p99, k, n) - bp99) / 1000, (median(p999, k, n) - bp999) / 1000
        }
    }
    print ""
    print "req/s, latencies, RSS and CPU are medians over the repeats; min-max is the spread of req/s. RSS: peak resident"
    print "set (VmHWM, nginx master + workers summed) during the measured run. CPU us: user+system CPU of the contender's"
    print "own processes per request. x back / x nginx: req/s relative to the bare backend and to nginx; p99/ngx: p99"
    print "relative to nginx (lower is better). errors: connect/read/write errors, timeouts and non-2xx/3xx answers,"
    print "summed over the repeats. policy: API key + per-consumer rate limit on every proxy; the backend row has none."
}

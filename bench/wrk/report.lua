-- wrk script for bench/run: optional 1 MiB POST body, and one machine-readable result line from the done hook
-- (wrk's own --latency table stops at p99; the benchmark also wants p99.9).
--   wrk ... -s report.lua                 GET
--   wrk ... -s report.lua -- post BYTES   POST of BYTES bytes (the same body on every request)

function init(args)
  if args[1] == "post" then
    local size = tonumber(args[2]) or 1048576
    wrk.method = "POST"
    wrk.body = string.rep("p", size)
    wrk.headers["Content-Type"] = "application/octet-stream"
  end
end

function done(summary, latency, requests)
  local e = summary.errors
  -- Latencies are microseconds; duration is microseconds.
  io.write(string.format(
    "BENCH requests=%d duration_us=%d rps=%.1f p50=%d p90=%d p99=%d p999=%d max=%d " ..
    "connect_err=%d read_err=%d write_err=%d status_err=%d timeouts=%d bytes=%d\n",
    summary.requests, summary.duration, summary.requests / (summary.duration / 1e6),
    latency:percentile(50), latency:percentile(90), latency:percentile(99), latency:percentile(99.9), latency.max,
    e.connect, e.read, e.write, e.status, e.timeout, summary.bytes))
end

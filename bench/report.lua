-- report.lua: wrk's done() for every bench run. Prints one machine-readable line that
-- bench/run.sh reads: completed requests, non-2xx/3xx answers, socket errors, requests/s
-- over the run, and the latency percentiles in microseconds.
function done(summary, latency, requests)
   local e = summary.errors
   io.write(string.format(
      "BENCH requests=%d non2xx=%d errors=%d rps=%.1f p50_us=%d p99_us=%d max_us=%d\n",
      summary.requests, e.status, e.connect + e.read + e.write + e.timeout,
      summary.requests / (summary.duration / 1e6),
      latency:percentile(50), latency:percentile(99), latency.max))
end

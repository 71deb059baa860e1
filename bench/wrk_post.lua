-- wrk script: authenticated GraphQL POSTs (bench/bench_http_load.py drives it).
-- WRK_BODIES: request bodies, one per line, sent in turn (one per subject, so reads rotate
-- over every subject); WRK_TOKEN: the partner's bearer token, if any.
-- done() prints one JSON line the benchmark parses: requests, duration, errors, latency.
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
local token = os.getenv("WRK_TOKEN")
if token ~= nil and token ~= "" then
  wrk.headers["Authorization"] = "Bearer " .. token
end

local bodies = {}
for line in string.gmatch(os.getenv("WRK_BODIES") or "", "[^\n]+") do
  bodies[#bodies + 1] = line
end
local next_body = 0

request = function()
  next_body = next_body % #bodies + 1
  return wrk.format(nil, nil, nil, bodies[next_body])
end

done = function(summary, latency, requests)
  local errors = summary.errors
  io.write(string.format(
    '{"requests": %d, "duration_us": %d, "non_2xx": %d, "socket_errors": %d, '
      .. '"p50_us": %d, "p99_us": %d}\n',
    summary.requests, summary.duration, errors.status,
    errors.connect + errors.read + errors.write + errors.timeout,
    latency:percentile(50), latency:percentile(99)))
end

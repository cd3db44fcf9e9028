-- wrk script for `ledger-bench --http`: POST pre-signed DSSE envelopes to /statements, each once.
-- Arguments: <file of envelopes, one per line> <number of wrk threads>.
-- Thread k of n sends lines k, k+n, k+2n, … so no envelope is sent twice (a second copy would be refused).
-- At the end, prints one JSON line with the counts and latency percentiles (microseconds).

local threads = {}
local nextId = 0

function setup(thread)
  thread:set("id", nextId)
  nextId = nextId + 1
  table.insert(threads, thread)
end

function init(args)
  local n = tonumber(args[2])
  bodies = {}
  local i = 0
  for line in io.lines(args[1]) do
    if i % n == id then bodies[#bodies + 1] = line end
    i = i + 1
  end
  sent = 0
  created = 0
  other = 0
  exhausted = 0
end

function request()
  sent = sent + 1
  if sent > #bodies then
    exhausted = 1
    return wrk.format("GET", "/checkpoint")
  end
  return wrk.format("POST", "/statements", { ["Content-Type"] = "application/json" }, bodies[sent])
end

function response(status, headers, body)
  if status == 201 then created = created + 1 else other = other + 1 end
end

function done(summary, latency, requests)
  local c, o, e = 0, 0, 0
  for _, t in ipairs(threads) do
    c = c + t:get("created")
    o = o + t:get("other")
    e = e + t:get("exhausted")
  end
  local errors = summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout
  io.write(string.format(
    '{"requests":%d,"created":%d,"other":%d,"exhausted":%d,"socketErrors":%d,"durationMicros":%d,' ..
    '"p50Micros":%d,"p90Micros":%d,"p99Micros":%d,"maxMicros":%d}\n',
    summary.requests, c, o, e, errors, summary.duration,
    latency:percentile(50), latency:percentile(90), latency:percentile(99), latency.max))
end

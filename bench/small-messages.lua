-- wrk script for bench/small-messages.sh: each request is one reading of 3 metrics from the next device, round robin,
-- with that device's next sequence number, so the api stores every one (no duplicates).
--   DEVICES_FILE: lines "<device id> <device key>"; SEQ_BASE: the first seq (above any earlier run's).
local devices = {}
local count = 0
local seq_base = 0
local sent = 0
local stamp, stamp_at = nil, -1

function init(args)
  for line in io.lines(os.getenv("DEVICES_FILE")) do
    local id, key = line:match("^(%S+)%s+(%S+)$")
    if key then
      count = count + 1
      devices[count] = "Device " .. key
    end
  end
  assert(count > 0, "no devices in " .. tostring(os.getenv("DEVICES_FILE")))
  seq_base = tonumber(os.getenv("SEQ_BASE") or "0")
  wrk.method = "POST"
  wrk.path = "/api/v1/device/telemetry"
end

function request()
  local now = os.time()
  if now ~= stamp_at then
    stamp, stamp_at = os.date("!%Y-%m-%dT%H:%M:%SZ", now), now
  end
  local device = sent % count
  local seq = seq_base + math.floor(sent / count)
  sent = sent + 1
  local body = '{"readings":[{"seq":' .. seq .. ',"ts":"' .. stamp ..
    '","metrics":{"temperature":21.5,"humidity":40.25,"voltage":3.3}}]}'
  return wrk.format(nil, nil, { ["Authorization"] = devices[device + 1], ["Content-Type"] = "application/json" }, body)
end

function done(summary, latency, requests)
  local seconds = summary.duration / 1e6
  local failed = summary.errors.status + summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout
  io.write(string.format("RESULT requests=%d seconds=%.2f rps=%.0f p50_ms=%.2f p99_ms=%.2f max_ms=%.2f failed=%d non2xx=%d\n",
    summary.requests, seconds, summary.requests / seconds, latency:percentile(50) / 1000, latency:percentile(99) / 1000,
    latency.max / 1000, failed, summary.errors.status))
end

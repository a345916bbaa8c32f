#!/usr/bin/env bash
# The cost of tracing on ingest: Fleet.IngestBench's points/s with every service exporting traces, logs and
# metrics to Fleet.Dashboard, then with the dashboard off (no OTLP export at all), one after the other.
# Besides points/s (which a busy machine blurs), it reports the api's CPU time per 1,000 points accepted (its own
# counter on /metrics) and the dashboard's CPU time over the run: CPU per unit of work holds on a shared machine.
#   bench/dashboard-tracing-cost.sh [SECONDS] [DEVICES] [PAIRS]
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=${1:-30}
devices=${2:-1000}
pairs=${3:-1}
dotnet build Fleet.AppHost -c Debug -nologo -v q >/dev/null
dotnet build bench/Fleet.IngestBench -c Release -nologo -v q >/dev/null

# CPU seconds (user + system) of the processes of one resource, from /proc.
cpu_of() { # $1 = state dir, $2 = resource
  python3 - "$1/apphost.json" "$2" <<'PY'
import json, os, sys
state = json.load(open(sys.argv[1]))
ticks = os.sysconf("SC_CLK_TCK")
total = 0
for resource in state["resources"]:
    if resource["name"] == sys.argv[2]:
        for pid in resource["processIds"]:
            fields = open(f"/proc/{pid}/stat").read().rsplit(")", 1)[1].split()
            total += int(fields[11]) + int(fields[12])
print(total / ticks)
PY
}

# The api's fleet.telemetry.points.accepted counter, summed over its series.
accepted_of() { # $1 = state dir
  local url
  url=$(python3 -c 'import json,sys; print(next(r["urls"][0] for r in json.load(open(sys.argv[1]))["resources"] if r["name"] == "api"))' "$1/apphost.json")
  curl -s "$url/metrics" | awk '/^fleet_telemetry_points_accepted[a-z_]*total[{ ]/ { sum += $NF } END { printf "%d\n", sum }'
}

measure() { # $1 = label; further arguments go to the AppHost
  local label=$1 state pid
  shift
  state=$(mktemp -d /tmp/fleet-tracing-cost-XXXX)
  chmod 755 "$state"
  Fleet__Telemetry__RequestsPerDevicePerMinute=100000 dotnet Fleet.AppHost/bin/Debug/net10.0/Fleet.AppHost.dll \
    --state-dir "$state" --devices 1 "$@" >"$state.log" 2>&1 &
  pid=$!
  until python3 - "$state/apphost.json" <<'PY' 2>/dev/null
import json, sys
s = json.load(open(sys.argv[1]))
sys.exit(0 if s["running"] and all(r["state"] == "Healthy" for r in s["resources"]) else 1)
PY
  do
    kill -0 "$pid" 2>/dev/null || { echo "AppHost exited; see $state.log" >&2; exit 1; }
    sleep 0.2
  done
  echo "== $label ($(uptime | sed 's/.*load/load/'))"
  local api_cpu dashboard_cpu points
  api_cpu=$(cpu_of "$state" api)
  dashboard_cpu=$(cpu_of "$state" dashboard)
  points=$(accepted_of "$state")
  dotnet bench/Fleet.IngestBench/bin/Release/net10.0/Fleet.IngestBench.dll --state-dir "$state" --devices "$devices" \
    --seconds "$seconds" --copy-rows 100000 | grep -E "^(ingest|latency)"
  python3 - "$api_cpu" "$(cpu_of "$state" api)" "$dashboard_cpu" "$(cpu_of "$state" dashboard)" "$points" "$(accepted_of "$state")" <<'PY'
import sys
api0, api1, dash0, dash1, p0, p1 = (float(v) for v in sys.argv[1:])
points = p1 - p0
print(f"api cpu       : {api1 - api0:.1f} s for {points:,.0f} points accepted = {1e6 * (api1 - api0) / max(points, 1):.2f} ms per 1,000 points")
print(f"dashboard cpu : {dash1 - dash0:.1f} s")
PY
  kill -TERM "$pid"
  wait "$pid" || true
}

for _ in $(seq "$pairs"); do
  measure "tracing to Fleet.Dashboard (OTLP/gRPC)"
  measure "no OTLP export (--no-dashboard)" --no-dashboard
done

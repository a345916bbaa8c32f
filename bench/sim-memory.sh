#!/usr/bin/env bash
# The simulator's resident memory at N devices: starts the whole app (PostgreSQL, Redis, API, web, simulator) with
# `dotnet run --project Fleet.AppHost` in a throwaway state folder, waits until every device is registered, has
# sent telemetry and holds its channel (WebSocket) open (the simulator's /status), then reads the simulator's RSS a few times over a minute.
#   bench/sim-memory.sh [DEVICES=10000] [SAMPLES=6] [SECONDS_BETWEEN=10]
# The API's per-device telemetry limit is raised (RATE, default 100000/min) so that rate limiting does not pile
# readings up in the simulator; any other Fleet__* variable in the environment reaches the services too.
# NO_BUILD=1 skips the build (after `dotnet build Fleet.Aspire.sln`), which matters on a busy machine.
set -euo pipefail
cd "$(dirname "$0")/.."
devices=${1:-10000}
samples=${2:-6}
between=${3:-10}

export Fleet__Telemetry__RequestsPerDevicePerMinute=${RATE:-100000}
source bench/lib.sh
start_apphost sim-memory dotnet run ${NO_BUILD:+--no-build} --project Fleet.AppHost -- --devices "$devices"

resource() { # $1 = resource name, $2 = url|pid; empty until it is healthy
  python3 - "$state/apphost.json" "$1" "$2" <<'PY' 2>/dev/null || true
import json, sys
s = json.load(open(sys.argv[1]))
r = next(r for r in s["resources"] if r["name"] == sys.argv[2])
if r["state"] == "Running" and r.get("health") in (None, "Healthy"):
    print(r["urls"][0] if sys.argv[3] == "url" else r["processIds"][0])
PY
}

status_field() { curl -sf "$url/status" | python3 -c "import json,sys; print(json.load(sys.stdin)['$1'])"; }

simulator_healthy() { url=$(resource devices url) && [[ -n $url ]]; }
wait_for 600 "the simulator healthy" simulator_healthy
pid=$(resource devices pid)
echo "simulator pid $pid at $url; waiting for $devices devices to register and report" >&2

all_reported() {
  [[ $(status_field registered) == "$devices" ]] && (($(status_field telemetryBatchesSent) >= devices)) \
    && (($(status_field channelsOpen) >= devices))
}
wait_for 600 "all $devices devices registered, reporting and connected" all_reported

rss=()
for i in $(seq "$samples"); do
  rss+=("$(ps -o rss= -p "$pid" | tr -d ' ')")
  echo "sample $i: $(( ${rss[-1]} / 1024 )) MB  $(curl -sf "$url/status")" >&2
  (( i < samples )) && sleep "$between"
done

printf '%s\n' "${rss[@]}" | awk -v devices="$devices" '
  { kb[NR] = $1; sum += $1; if ($1 > max) max = $1 }
  END {
    mean = sum / NR / 1024; peak = max / 1024
    printf "devices %d  RSS mean %.0f MB  max %.0f MB  (%d samples)  %.1f MB per 1000 devices (max)\n", devices, mean, peak, NR, peak / devices * 1000
  }'

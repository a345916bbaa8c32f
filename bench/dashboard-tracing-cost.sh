#!/usr/bin/env bash
# The cost of tracing on ingest: Fleet.IngestBench's points/s with every service exporting traces, logs and
# metrics to Fleet.Dashboard, then with the dashboard off (no OTLP export at all), one after the other.
#   bench/dashboard-tracing-cost.sh [SECONDS] [DEVICES]
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=${1:-30}
devices=${2:-1000}
dotnet build Fleet.AppHost -c Debug -nologo -v q >/dev/null
dotnet build bench/Fleet.IngestBench -c Release -nologo -v q >/dev/null

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
  echo "== $label"
  dotnet bench/Fleet.IngestBench/bin/Release/net10.0/Fleet.IngestBench.dll --state-dir "$state" --devices "$devices" \
    --seconds "$seconds" --copy-rows 100000 | grep -E "^(ingest|latency)"
  kill -TERM "$pid"
  wait "$pid" || true
}

measure "tracing to Fleet.Dashboard (OTLP/gRPC)"
measure "no OTLP export (--no-dashboard)" --no-dashboard

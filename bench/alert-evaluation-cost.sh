#!/usr/bin/env bash
# The alert evaluator's cost per minute as the fleet grows (1,000 → 5,000 → 10,000 devices by default): starts the
# AppHost (API, PostgreSQL, Redis, one simulated device, no dashboard) in a throwaway state folder, then runs
# bench/Fleet.AlertBench against it, which creates a default rule set over the whole fleet, registers devices through
# the API and, at each size, measures a quiet window and windows of a fixed rate of changes (heartbeats and readings
# of random devices), reading the evaluator's figures from the API's /metrics and its CPU time from /proc.
#   bench/alert-evaluation-cost.sh [--sizes 1000,5000,10000] [--rates 50,200] [--seconds 60] [--idle-seconds 30] [--warmup-seconds 20]
# Status windows are stretched (an hour) so devices that only report when the benchmark says do not go at-risk or
# offline mid-run: every change the evaluator sees is one the benchmark made. CONFIGURATION (Release) picks the
# build; NO_BUILD=1 skips building, which matters on a busy machine.
set -euo pipefail
cd "$(dirname "$0")/.."
configuration=${CONFIGURATION:-Release}

if [[ -z ${NO_BUILD:-} ]]; then
  dotnet build Fleet.AppHost -c "$configuration" >/dev/null
  dotnet build bench/Fleet.AlertBench -c "$configuration" >/dev/null
fi

state=$(mktemp -d /tmp/fleet-alert-cost-XXXX)
chmod 755 "$state"
export Fleet__Status__AtRiskAfter=01:00:00 Fleet__Status__OfflineAfter=02:00:00
dotnet "Fleet.AppHost/bin/$configuration/net10.0/Fleet.AppHost.dll" --state-dir "$state" --devices 1 --no-dashboard >"$state.log" 2>&1 &
apphost=$!
stop() { kill -TERM "$apphost" 2>/dev/null || true; wait "$apphost" 2>/dev/null || true; rm -rf "$state"; }
trap stop EXIT

healthy() {
  python3 - "$state/apphost.json" <<'PY' 2>/dev/null
import json, sys
s = json.load(open(sys.argv[1]))
sys.exit(0 if s.get("running") and all(r["state"] == "Healthy" for r in s["resources"]) else 1)
PY
}

deadline=$((SECONDS + 600))
until healthy; do
  kill -0 "$apphost" 2>/dev/null || { echo "AppHost exited; see $state.log" >&2; exit 1; }
  (( SECONDS < deadline )) || { echo "the app did not become healthy in 10 min; see $state.log" >&2; exit 1; }
  sleep 1
done

echo "app healthy; $(uptime)" >&2
dotnet "bench/Fleet.AlertBench/bin/$configuration/net10.0/Fleet.AlertBench.dll" --state-dir "$state" "$@"
echo "done; $(uptime)" >&2

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

export Fleet__Status__AtRiskAfter=01:00:00 Fleet__Status__OfflineAfter=02:00:00
source bench/lib.sh
start_apphost alert-cost dotnet "Fleet.AppHost/bin/$configuration/net10.0/Fleet.AppHost.dll" --devices 1 --no-dashboard
wait_for 600 "every resource healthy" all_healthy

echo "app healthy; $(uptime)" >&2
dotnet "bench/Fleet.AlertBench/bin/$configuration/net10.0/Fleet.AlertBench.dll" --state-dir "$state" "$@"
echo "done; $(uptime)" >&2

#!/usr/bin/env bash
# Sustained ingest against a fresh app, in one command: starts the AppHost (Release) in a throwaway state folder with one
# simulated device and the per-device telemetry limit raised (RATE, default 100000/min), waits until every resource is
# healthy, runs bench/Fleet.IngestBench against it (60 s measured after 30 s of warm-up, then the settled COPY
# ceiling), and stops the app.
#   bench/ingest.sh [DEVICES=10000] [READINGS=200] [CONCURRENCY=6] [more Fleet.IngestBench options ...]
# NO_BUILD=1 skips the Release build (after `dotnet build Fleet.Aspire.sln -c Release`), which matters on a busy machine.
set -euo pipefail
cd "$(dirname "$0")/.."
devices=${1:-10000}
readings=${2:-200}
concurrency=${3:-6}
shift $(( $# < 3 ? $# : 3 ))

[[ -n ${NO_BUILD:-} ]] || dotnet build Fleet.Aspire.sln -c Release -nologo -v quiet >/dev/null

state=$(mktemp -d /tmp/fleet-ingest-XXXX)
chmod 755 "$state"
export Fleet__Telemetry__RequestsPerDevicePerMinute=${RATE:-100000}
dotnet run -c Release --no-build --project Fleet.AppHost -- --devices 1 --state-dir "$state" >"$state.log" 2>&1 &
apphost=$!
stop() { kill -TERM "$apphost" 2>/dev/null || true; wait "$apphost" 2>/dev/null || true; rm -rf "$state"; }
trap stop EXIT

deadline=$((SECONDS + 300))
until grep -q "healthy in" "$state.log"; do
  kill -0 "$apphost" 2>/dev/null || { echo "AppHost exited; see $state.log" >&2; exit 1; }
  (( SECONDS < deadline )) || { echo "the app did not become healthy in 5 min; see $state.log" >&2; exit 1; }
  sleep 1
done

dotnet run -c Release --no-build --project bench/Fleet.IngestBench -- --state-dir "$state" \
  --devices "$devices" --readings "$readings" --concurrency "$concurrency" --metrics 5 --seconds 60 --warmup 30 "$@"

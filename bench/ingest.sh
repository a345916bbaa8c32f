#!/usr/bin/env bash
# Sustained ingest against a fresh app, in one command: starts the AppHost (Release) in a throwaway state folder with one
# simulated device and the per-device telemetry limit raised (RATE, default 100000/min), waits until every resource is
# healthy, runs bench/Fleet.IngestBench against it (60 s measured after 30 s of warm-up, then the settled COPY
# ceiling), and stops the app.
#   bench/ingest.sh [DEVICES=10000] [READINGS=200] [CONCURRENCY=6] [more Fleet.IngestBench options ...]
# NO_BUILD=1 skips the Release build (after `dotnet build Fleet.Aspire.sln -c Release`), which matters on a busy machine.
# ACK=Logged runs the API with Fleet:Telemetry:Acknowledge=Logged (202 once in the telemetry log); default Committed.
set -euo pipefail
cd "$(dirname "$0")/.."
devices=${1:-10000}
readings=${2:-200}
concurrency=${3:-6}
shift $(( $# < 3 ? $# : 3 ))

[[ -n ${NO_BUILD:-} ]] || dotnet build Fleet.Aspire.sln -c Release -nologo -v quiet >/dev/null

export Fleet__Telemetry__RequestsPerDevicePerMinute=${RATE:-100000}
export Fleet__Telemetry__Acknowledge=${ACK:-Committed}
echo "telemetry acknowledged: $Fleet__Telemetry__Acknowledge"
source bench/lib.sh
start_apphost ingest dotnet run -c Release --no-build --project Fleet.AppHost -- --devices 1
wait_for 300 "every resource healthy" all_healthy

dotnet run -c Release --no-build --project bench/Fleet.IngestBench -- --state-dir "$state" \
  --devices "$devices" --readings "$readings" --concurrency "$concurrency" --metrics 5 --seconds 60 --warmup 30 "$@"

#!/usr/bin/env bash
# MQTT against HTTP ingest in one command: starts the AppHost (Release; one simulated device, no dashboard, the per-device
# telemetry limit raised to RATE_LIMIT, default 100000/min) in a throwaway state folder, or in STATE_DIR kept across runs,
# waits until every resource is healthy, and runs bench/Fleet.MqttBench against it: the bench's devices (registered once
# per state folder, which also creates their broker identities: minutes at 10,000) each hold an MQTT connection, and for
# each rate in RATES (messages/s, comma-separated; 0 = as fast as acknowledgements come) an MQTT phase then an HTTP phase
# send one reading of 5 metrics per message. Prints a table; then the app is stopped.
#   bench/mqtt-vs-http.sh [DEVICES=10000] [SECONDS=60] [more Fleet.MqttBench options ...]
# NO_BUILD=1 skips the Release build; STATE_DIR=/tmp/fleet-mqtt-kept keeps the app's state (and the registered devices)
# for the next run; RATES=0,20000 runs saturation and then a paced phase per transport.
set -euo pipefail
cd "$(dirname "$0")/.."
devices=${1:-10000}
seconds=${2:-60}
shift $(( $# < 2 ? $# : 2 ))

# Each device holds a socket in the bench and one in the broker (Mosquitto's max_connections is unlimited by default);
# both inherit this limit.
ulimit -n 65536 2>/dev/null || ulimit -n "$(ulimit -Hn)"
((devices + 1000 <= $(ulimit -n))) || { echo "ulimit -n is $(ulimit -n): too low for $devices devices" >&2; exit 1; }

[[ -n ${NO_BUILD:-} ]] || dotnet build Fleet.Aspire.sln -c Release -nologo -v quiet >/dev/null

export Fleet__Telemetry__RequestsPerDevicePerMinute=${RATE_LIMIT:-100000}
source bench/lib.sh
# A kept state keeps the registered devices (the registry and the broker's identities), not the messages the broker still
# held for the last run's collector: a backlog from a saturation run would be delivered first and measured as this run's.
[[ -z ${STATE_DIR:-} ]] || rm -f "$STATE_DIR/mqtt/mosquitto.db"
start_apphost mqtt-bench dotnet run -c Release --no-build --project Fleet.AppHost -- --devices 1 --no-dashboard
echo "app state: $state (log $state.log)"
wait_for 300 "every resource healthy" all_healthy

dotnet run -c Release --no-build --project bench/Fleet.MqttBench -- --state-dir "$state" \
  --devices "$devices" --seconds "$seconds" --rate "${RATES:-0}" "$@"

#!/usr/bin/env bash
# The simulator's memory with N MQTT devices: a throwaway local Mosquitto (anonymous, no limit on connections) and the
# real simulator process (Fleet.DeviceSim, --protocol mqtt), whose devices are already "enrolled": their synthetic ids
# and keys come from a state file, so no api is needed (the broker takes any credentials). A mosquitto_sub on fleet/#
# stands in for the api's collector (without a subscriber the broker answers "no matching subscribers" and devices keep
# their readings). Waits until every device is connected and has sent telemetry, then samples RSS and the simulator's
# /status (managed heap, GC committed, messages published) a few times.
#   bench/sim-mqtt-memory.sh [DEVICES=10000] [SAMPLES=6] [SECONDS_BETWEEN=10]
# NO_BUILD=1 skips the Release build of Fleet.DeviceSim. Any Fleet__* variable in the environment reaches the simulator
# (e.g. Fleet__Simulator__TelemetrySeconds=5).
set -euo pipefail
cd "$(dirname "$0")/.."
devices=${1:-10000}
samples=${2:-6}
between=${3:-10}

# Each device holds a socket in the simulator and one in the broker: both inherit this limit.
ulimit -n 65536 2>/dev/null || ulimit -n "$(ulimit -Hn)"
((devices + 100 <= $(ulimit -n))) || { echo "ulimit -n is $(ulimit -n): too low for $devices devices" >&2; exit 1; }

[[ -n ${NO_BUILD:-} ]] || dotnet build -c Release Fleet.DeviceSim -v q -nologo >&2
simulator=Fleet.DeviceSim/bin/Release/net10.0/Fleet.DeviceSim.dll

work=$(mktemp -d /tmp/fleet-sim-mqtt-XXXX)
pids=()
cleanup() {
  for pid in "${pids[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
  for pid in "${pids[@]}"; do wait "$pid" 2>/dev/null || true; done
  rm -rf "$work"
}
trap cleanup EXIT

free_port() { python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }
broker_port=$(free_port)
http_port=$(free_port)

{
  echo "listener $broker_port 127.0.0.1"
  echo "allow_anonymous true"
  echo "max_connections -1"
  echo "persistence false"
  echo "log_dest file $work/mosquitto.log"
  [[ $(id -u) == 0 ]] && echo "user root"
} >"$work/mosquitto.conf"
/usr/sbin/mosquitto -c "$work/mosquitto.conf" &
broker=$!
pids+=("$broker")

python3 - "$work/devices.json" "$devices" <<'PY'
import json, secrets, sys, uuid
path, count = sys.argv[1], int(sys.argv[2])
devices = {f"SIM-{i:06d}": {"deviceId": str(uuid.uuid4()), "deviceKey": secrets.token_urlsafe(24)} for i in range(1, count + 1)}
json.dump({"version": 1, "devices": devices}, open(path, "w"))
PY

for _ in $(seq 50); do (echo >"/dev/tcp/127.0.0.1/$broker_port") 2>/dev/null && break; sleep 0.1; done
mosquitto_sub -h 127.0.0.1 -p "$broker_port" -t 'fleet/#' -q 1 >/dev/null &
pids+=("$!")

dotnet "$simulator" --devices "$devices" --protocol mqtt --state-file "$work/devices.json" \
  --Fleet:EnrollmentToken=bench --Fleet:Mqtt:Host=127.0.0.1 --Fleet:Mqtt:Port="$broker_port" \
  --urls "http://127.0.0.1:$http_port" >"$work/simulator.log" 2>&1 &
pid=$!
pids+=("$pid")
url="http://127.0.0.1:$http_port"

status() { curl -sf "$url/status"; }
field() { python3 -c "import json,sys; print(json.load(sys.stdin)['$1'])"; }

deadline=$((SECONDS + 600))
started=$SECONDS
until s=$(status) && (($(field mqttConnected <<<"$s") == devices)) && (($(field telemetryBatchesSent <<<"$s") >= devices)); do
  kill -0 "$pid" 2>/dev/null || { echo "the simulator exited:" >&2; tail -20 "$work/simulator.log" >&2; exit 1; }
  kill -0 "$broker" 2>/dev/null || { echo "mosquitto exited:" >&2; tail -20 "$work/mosquitto.log" >&2; exit 1; }
  ((SECONDS < deadline)) || { echo "not all $devices devices connected and reporting within 600 s: ${s:-no status}" >&2; exit 1; }
  sleep 1
done
echo "all $devices devices connected and reporting after $((SECONDS - started)) s" >&2

rows=()
for i in $(seq "$samples"); do
  s=$(status)
  rss=$(ps -o rss= -p "$pid" | tr -d ' ')
  rows+=("$(python3 -c '
import json, sys, time
s = json.loads(sys.argv[1])
print(time.time(), sys.argv[2], s["mqttConnected"], s["heartbeatsSent"] + s["telemetryBatchesSent"], s["managedHeapBytes"], s["gcCommittedBytes"])
' "$s" "$rss")")
  echo "sample $i: RSS $((rss / 1024)) MB  $s" >&2
  ((i < samples)) && sleep "$between"
done

printf '%s\n' "${rows[@]}" | awk -v devices="$devices" '
  { t[NR] = $1; rss = $2 / 1024; heap = $5 / 1048576; committed = $6 / 1048576; connected = $3; sent[NR] = $4
    rsum += rss; if (rss > rmax) rmax = rss; hsum += heap; if (heap > hmax) hmax = heap; if (committed > cmax) cmax = committed }
  END {
    rate = NR > 1 ? (sent[NR] - sent[1]) / (t[NR] - t[1]) : 0
    printf "devices %d  connected %d  published %.0f msg/s (heartbeats + telemetry)  RSS mean %.0f MB max %.0f MB  GC heap mean %.0f MB max %.0f MB  GC committed max %.0f MB  (%d samples)\n",
      devices, connected, rate, rsum / NR, rmax, hsum / NR, hmax, cmax, NR
  }'

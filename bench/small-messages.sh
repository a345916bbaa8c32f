#!/usr/bin/env bash
# One-reading telemetry over HTTP, as small devices send it, driven by a load generator that is not ours (Debian's wrk,
# one thread, CONNECTIONS keep-alive connections, bench/small-messages.lua: each request a new (device, seq) with one
# reading of 3 metrics). In one run: the api through the AppHost (Release, a throwaway state folder or STATE_DIR, the
# per-device limit raised, Committed unless ACK=Logged), then bench/Fleet.BareKestrel (the same route and body parsed
# and answered 202, nothing else) on the same machine; prints both and the api's share of the bare ceiling.
#   bench/small-messages.sh [DEVICES=1000] [SECONDS=30]
# WARMUP (60 s) of load before the api's measured run (the tiered JIT takes a third of the api's CPU in its first
# minute), 10 s before the bare one. PROXY=1 puts DCP's endpoint proxy in front of the api (Fleet:ApiProxied), as it is
# with --api-replicas 2 or more. NO_BUILD=1 skips the Release build. RUNS=3 measures each side RUNS times, alternating.
set -euo pipefail
cd "$(dirname "$0")/.."
devices=${1:-1000}
seconds=${2:-30}
connections=${CONNECTIONS:-64}
warmup=${WARMUP:-60}
runs=${RUNS:-1}

command -v wrk >/dev/null || { echo "wrk is not installed (apt-get install -y wrk)" >&2; exit 1; }
ulimit -n 65536 2>/dev/null || true
[[ -n ${NO_BUILD:-} ]] || dotnet build Fleet.Aspire.sln -c Release -nologo -v quiet >/dev/null

export Fleet__Telemetry__RequestsPerDevicePerMinute=${RATE_LIMIT:-100000}
export Fleet__Telemetry__Acknowledge=${ACK:-Committed}
source bench/lib.sh
proxied=false
[[ -z ${PROXY:-} ]] || proxied=true
start_apphost small-messages dotnet run -c Release --no-build --project Fleet.AppHost -- --devices 1 --no-dashboard \
  "--Fleet:ApiProxied=$proxied"
echo "app state: $state (log $state.log); acknowledged: $Fleet__Telemetry__Acknowledge; DCP proxy: $proxied"
wait_for 300 "every resource healthy" all_healthy

# The bench's devices: registered through the api once per state folder, kept as "<id> <key>" lines.
devices_file="$state/wrk-devices.txt"
python3 - "$state" "$devices" "$devices_file" <<'PY'
import json, os, sys, urllib.request, uuid
from concurrent.futures import ThreadPoolExecutor
state, wanted, path = sys.argv[1], int(sys.argv[2]), sys.argv[3]
known = open(path).read().split("\n") if os.path.exists(path) else []
known = [line for line in known if line.strip()]
if len(known) >= wanted:
    print(f"devices: {wanted} of the {len(known)} kept in {path}")
    sys.exit(0)
app = json.load(open(os.path.join(state, "apphost.json")))
api = next(r for r in app["resources"] if r["name"] == "api")["urls"][0]
token = open(app["secrets"]["enrollment-token"]).read().strip()
run = uuid.uuid4().hex[:8]
def register(i):
    body = json.dumps({"enrollmentToken": token, "serial": f"WRK-{run}-{i:06d}", "type": "meter",
                       "hardwareRevision": "rev-a", "region": "eu-west"}).encode()
    request = urllib.request.Request(api + "/api/v1/devices/register", body, {"Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=60) as response:
        answer = json.load(response)
    return f"{answer['deviceId']} {answer['deviceKey']}"
with ThreadPoolExecutor(8) as pool:
    known += list(pool.map(register, range(wanted - len(known))))
open(path, "w").write("\n".join(known) + "\n")
print(f"devices: registered {wanted} in {path}")
PY
head -n "$devices" "$devices_file" > "$state/wrk-devices-run.txt"
export DEVICES_FILE="$state/wrk-devices-run.txt"
# The api's own address (its replica's), and with PROXY the address DCP's proxy listens on in front of it.
read -r api_url proxy_url < <(python3 -c 'import json,sys; a=json.load(open(sys.argv[1])); r=next(r for r in a["resources"] if r["name"]=="api"); print(r["replicas"][0]["url"], r["urls"][0])' "$state/apphost.json")

bare_port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
dotnet bench/Fleet.BareKestrel/bin/Release/net10.0/Fleet.BareKestrel.dll --urls "http://127.0.0.1:$bare_port" >"$state.bare.log" 2>&1 &
bare=$!
trap 'kill $bare 2>/dev/null || true; stop_apphost' EXIT
wait_for 30 "bare Kestrel listening" bash -c "exec 3<>/dev/tcp/127.0.0.1/$bare_port" 2>/dev/null

# load URL SECONDS: one wrk run; every request a new (device, seq), so each run starts its seqs at a new base (1,000 per
# second of wall time: above any earlier run's at up to 1,000 requests/s per device).
load() {
  SEQ_BASE=$(( $(date +%s) * 1000 )) wrk -t1 -c"$connections" -d"$2s" --timeout 10s -s bench/small-messages.lua "$1" \
    | sed -n 's/^RESULT //p'
}
field() { sed -n "s/.*\b$1=\([^ ]*\).*/\1/p" <<<"$2"; }
# cpu_ticks PID: user + system CPU the process has used, in clock ticks (1/100 s).
cpu_ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }
# measure SIDE SECONDS: one run, its RESULT line with the serving process's CPU per request added (cpu_us).
measure() {
  local before after r
  before=$(cpu_ticks "${pid[$1]}")
  r=$(load "${url[$1]}" "$2")
  after=$(cpu_ticks "${pid[$1]}")
  echo "$r cpu_us=$(python3 -c 'import sys; print(f"{(int(sys.argv[2]) - int(sys.argv[1])) * 10000 / max(1, int(sys.argv[3])):.0f}")' "$before" "$after" "$(field requests "$r")")"
}

api_pid=$(python3 -c 'import json,sys; a=json.load(open(sys.argv[1])); print(next(r for r in a["resources"] if r["name"]=="api")["processIds"][0])' "$state/apphost.json")
declare -A url=([api]=$api_url [bare]=http://127.0.0.1:$bare_port)
declare -A pid=([api]=$api_pid [api-proxy]=$api_pid [bare]=$bare)
sides=(api bare)
if [[ $proxied == true ]]; then
  url[api-proxy]=$proxy_url
  sides=(api api-proxy bare)
fi
echo "warm-up: api ${warmup} s, bare 10 s ($devices devices, $connections connections)"
load "${url[api]}" "$warmup" >/dev/null
load "${url[bare]}" 10 >/dev/null
printf '%-10s %-4s %10s %9s %9s %9s %7s %8s %s\n' side run "requests/s" "p50 ms" "p99 ms" "max ms" failed "of bare" "CPU µs/request"
for ((run = 1; run <= runs; run++)); do
  declare -A result=()
  for side in "${sides[@]}"; do
    result[$side]=$(measure "$side" "$seconds")
  done
  for side in "${sides[@]}"; do
    r=${result[$side]}
    share=$(python3 -c 'import sys; print(f"{float(sys.argv[1]) / float(sys.argv[2]):.1%}")' "$(field rps "$r")" "$(field rps "${result[bare]}")")
    printf '%-10s %-4s %10s %9s %9s %9s %7s %8s %s\n' "$side" "$run" "$(field rps "$r")" "$(field p50_ms "$r")" \
      "$(field p99_ms "$r")" "$(field max_ms "$r")" "$(field failed "$r")" "$share" "$(field cpu_us "$r")"
  done
done

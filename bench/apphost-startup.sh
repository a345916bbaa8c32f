#!/usr/bin/env bash
# Seconds from starting the AppHost to every resource healthy (read from apphost.json), for a fresh state
# folder and for a second run that reuses it. Builds first; does not time the build itself.
#   bench/apphost-startup.sh [RUNS] [DEVICES]
#   LAUNCH=run bench/apphost-startup.sh ...   time from `dotnet run --project Fleet.AppHost` (adds its up-to-date check)
set -euo pipefail
cd "$(dirname "$0")/.."
source bench/lib.sh
runs=${1:-5}
devices=${2:-25}
dotnet build Fleet.AppHost -c Debug -nologo -v q >/dev/null
apphost=Fleet.AppHost/bin/Debug/net10.0/Fleet.AppHost.dll
if [[ ${LAUNCH:-dll} == run ]]; then launch=(dotnet run --project Fleet.AppHost --); else launch=(dotnet "$apphost"); fi

time_one_start() { # $1 = state folder; prints seconds to healthy
  local state=$1 start pid elapsed
  start=$(date +%s.%N)
  "${launch[@]}" --state-dir "$state" --devices "$devices" >"$state.log" 2>&1 &
  pid=$!
  until python3 - "$state/apphost.json" <<'PY' 2>/dev/null
import json, sys
s = json.load(open(sys.argv[1]))
sys.exit(0 if s.get("ready") else 1)
PY
  do
    kill -0 "$pid" 2>/dev/null || { echo "AppHost exited; see $state.log" >&2; exit 1; }
    sleep 0.05
  done
  elapsed=$(python3 -c "print(round($(date +%s.%N) - $start, 3))")
  kill -TERM "$pid"; wait "$pid" || true
  echo "$elapsed"
}

stats() { sort -n | awk '{v[NR]=$1} END {printf "min %.2f s  median %.2f s  max %.2f s  (n=%d)\n", v[1], (NR%2 ? v[(NR+1)/2] : (v[NR/2]+v[NR/2+1])/2), v[NR], NR}'; }

root=$(mktemp -d /tmp/fleet-bench-XXXX)
chmod 755 "$root"
fresh=(); reuse=()
for i in $(seq "$runs"); do
  fresh+=("$(time_one_start "$root/run$i")")     # new state folder: initdb, migrations, registration
  reuse+=("$(time_one_start "$root/run$i")")     # same folder again: data found, nothing to initialise
done
echo "launch=${launch[*]} devices=$devices runs=$runs"
echo -n "fresh state folder : "; printf '%s\n' "${fresh[@]}" | stats
echo -n "reused state folder: "; printf '%s\n' "${reuse[@]}" | stats
rm -rf "$root"

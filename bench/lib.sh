# Sourced by the bench scripts that run a whole app of their own (bench/ingest.sh, bench/sim-memory.sh,
# bench/alert-evaluation-cost.sh): start the AppHost in a throwaway state folder, wait for it, stop it on exit.

# start_apphost NAME COMMAND...: runs COMMAND (an AppHost launch, e.g. `dotnet run --project Fleet.AppHost --`) with
# --state-dir added, in a new folder /tmp/fleet-NAME-XXXX. Sets $state (the folder, log in $state.log) and $apphost
# (its pid); when the script exits, the AppHost is stopped and the folder removed.
start_apphost() {
  local name=$1
  shift
  state=$(mktemp -d "/tmp/fleet-$name-XXXX")
  chmod 755 "$state"
  "$@" --state-dir "$state" >"$state.log" 2>&1 &
  apphost=$!
  trap stop_apphost EXIT
}

stop_apphost() {
  kill -TERM "$apphost" 2>/dev/null || true
  wait "$apphost" 2>/dev/null || true
  rm -rf "$state"
}

# wait_for SECONDS WHAT CHECK...: runs CHECK every second until it succeeds; fails, naming WHAT, if the AppHost exits
# first or SECONDS pass.
wait_for() {
  local deadline=$((SECONDS + $1)) limit=$1 what=$2
  shift 2
  until "$@"; do
    kill -0 "$apphost" 2>/dev/null || { echo "AppHost exited; see $state.log" >&2; exit 1; }
    ((SECONDS < deadline)) || { echo "$what: not within $limit s; see $state.log" >&2; exit 1; }
    sleep 1
  done
}

# all_healthy: the AppHost has started every resource and all are healthy (its apphost.json says so).
all_healthy() {
  python3 - "$state/apphost.json" <<'PY' 2>/dev/null
import json, sys
s = json.load(open(sys.argv[1]))
sys.exit(0 if s.get("running") and all(r["state"] == "Healthy" for r in s["resources"]) else 1)
PY
}

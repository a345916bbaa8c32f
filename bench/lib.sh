# Sourced by the bench scripts that run a whole app of their own (bench/ingest.sh, bench/sim-memory.sh,
# bench/alert-evaluation-cost.sh): start the AppHost in a throwaway state folder, wait for it, stop it on exit.

# What Fleet.AppHost's http launch profile gives `dotnet run`, for scripts that start the built AppHost (its dll) directly:
# the Aspire dashboard over plain HTTP (no developer certificate needed) on ports picked free.
export ASPNETCORE_ENVIRONMENT=${ASPNETCORE_ENVIRONMENT:-Development} DOTNET_ENVIRONMENT=${DOTNET_ENVIRONMENT:-Development}
export ASPNETCORE_URLS=${ASPNETCORE_URLS:-http://127.0.0.1:0} ASPIRE_ALLOW_UNSECURED_TRANSPORT=true
export ASPIRE_DASHBOARD_OTLP_ENDPOINT_URL=${ASPIRE_DASHBOARD_OTLP_ENDPOINT_URL:-http://127.0.0.1:0}
export ASPIRE_RESOURCE_SERVICE_ENDPOINT_URL=${ASPIRE_RESOURCE_SERVICE_ENDPOINT_URL:-http://127.0.0.1:0}

# start_apphost NAME COMMAND...: runs COMMAND (an AppHost launch, e.g. `dotnet run --project Fleet.AppHost --`) with
# --state-dir added, in a new folder /tmp/fleet-NAME-XXXX. Sets $state (the folder, log in $state.log) and $apphost
# (its pid); when the script exits, the AppHost is stopped and the folder removed. With STATE_DIR set, that folder is
# used instead and kept (its database, broker and whatever the bench stored there outlive the run).
start_apphost() {
  local name=$1
  shift
  if [[ -n ${STATE_DIR:-} ]]; then
    state=$(realpath -m "$STATE_DIR")
    keep_state=1
    mkdir -p "$state"
    # The last run's file says ready; wait for this run's.
    rm -f "$state/apphost.json"
  else
    state=$(mktemp -d "/tmp/fleet-$name-XXXX")
  fi
  chmod 755 "$state"
  "$@" --state-dir "$state" >"$state.log" 2>&1 &
  apphost=$!
  trap stop_apphost EXIT
}

stop_apphost() {
  kill -TERM "$apphost" 2>/dev/null || true
  wait "$apphost" 2>/dev/null || true
  [[ -n ${keep_state:-} ]] || rm -rf "$state"
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

# all_healthy: every resource runs and is healthy, the migrations finished (apphost.json's "ready").
all_healthy() {
  python3 - "$state/apphost.json" <<'PY' 2>/dev/null
import json, sys
s = json.load(open(sys.argv[1]))
sys.exit(0 if s.get("ready") else 1)
PY
}

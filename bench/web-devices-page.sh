#!/usr/bin/env bash
# The devices page with DEVICES devices in the registry: time to first rows (first render) and to the next page
# (page change), as a browser sees them, beside the API's own time for the same queries; then the web process's
# resident memory per connected circuit (CIRCUITS pages open on /devices).
#
#   dotnet build Fleet.Aspire.sln            # once: the AppHost, and Playwright's node driver in Fleet.Tests/bin
#   bench/web-devices-page.sh [DEVICES] [RUNS] [CIRCUITS]      # defaults: 10000 5 20
#
# The devices are written straight into fleetdb (one simulated device keeps the app honest but quiet), so the
# figures measure the UI and the API, not the simulator.
set -euo pipefail
cd "$(dirname "$0")/.."
source bench/lib.sh  # the launch profile's environment for the AppHost dll
DEVICES=${1:-10000}
RUNS=${2:-5}
CIRCUITS=${3:-20}
CONFIGURATION=${CONFIGURATION:-Debug}
APPHOST="Fleet.AppHost/bin/$CONFIGURATION/net10.0/Fleet.AppHost.dll"
DRIVER="Fleet.Tests/bin/$CONFIGURATION/net10.0/.playwright"
[[ -f $APPHOST && -x $DRIVER/node/linux-x64/node ]] || { echo "build first: dotnet build Fleet.Aspire.sln" >&2; exit 2; }

state=$(mktemp -d /tmp/fleet-web-bench.XXXXXX)
chmod 755 "$state"
dotnet "$APPHOST" --state-dir "$state/fleet" --devices 1 >"$state/apphost.log" 2>&1 &
apphost=$!
trap 'kill $apphost 2>/dev/null; wait $apphost 2>/dev/null; rm -rf "$state"' EXIT

json() { python3 -c "import json,sys; d=json.load(open('$state/fleet/apphost.json')); $1"; }
for _ in $(seq 1 180); do
  if [[ -f $state/fleet/apphost.json ]] && json "sys.exit(0 if d.get('ready') else 1)" 2>/dev/null; then
    break
  fi
  kill -0 $apphost 2>/dev/null || { cat "$state/apphost.log" >&2; exit 1; }
  sleep 1
done
web=$(json "print([r for r in d['resources'] if r['name']=='web'][0]['urls'][0])")
api=$(json "print([r for r in d['resources'] if r['name']=='api'][0]['urls'][0])")
web_pid=$(json "print([r for r in d['resources'] if r['name']=='web'][0]['processIds'][0])")
token=$(cat "$(json "print(d['secrets']['operator-token'])")")
fleetdb=$(cat "$(json "print([r for r in d['resources'] if r['name']=='fleetdb'][0]['connectionStringFile'])")")
# ADO.NET "Host=..;Port=..;Username=..;Password=..;Database=.." → libpq environment.
eval "$(echo "$fleetdb" | tr ';' '\n' | sed -nE 's/^Host=(.*)/export PGHOST=\1/p; s/^Port=(.*)/export PGPORT=\1/p; s/^Username=(.*)/export PGUSER=\1/p; s/^Password=(.*)/export PGPASSWORD='"'"'\1'"'"'/p; s/^Database=(.*)/export PGDATABASE=\1/p')"

psql -q -v ON_ERROR_STOP=1 <<SQL
INSERT INTO devices (id, serial, name, type, hardware_revision, region, environment, tags, lifecycle, connectivity, latitude, longitude, firmware_version, created_at, last_seen_at)
SELECT gen_random_uuid(), 'BENCH-' || lpad(i::text, 6, '0'), 'bench ' || i,
       (ARRAY['meter','tracker','thermostat'])[1 + i % 3], (ARRAY['rev-a','rev-b'])[1 + i % 2],
       (ARRAY['eu-west','us-east','ap-south'])[1 + i % 3], (ARRAY['blue','green'])[1 + i % 2], ARRAY['bench'],
       'Active', (ARRAY['online','online','online','at-risk','offline'])[1 + i % 5],
       (ARRAY[48.1, 40.7, 19.1])[1 + i % 3] + (random() - 0.5) * 4, (ARRAY[11.6, -74.0, 72.9])[1 + i % 3] + (random() - 0.5) * 4,
       '1.' || (i % 4) || '.0', now() - i * interval '1 second', now() - (i % 600) * interval '1 second'
FROM generate_series(1, $DEVICES) AS i;
ANALYZE devices;
SQL
echo "devices in the registry: $(psql -tAc 'SELECT count(*) FROM devices')"

echo "API alone (curl, median of $RUNS): page 1 and page 100 of 50, sorted by serial"
for query in "page=1&pageSize=50" "page=100&pageSize=50"; do
  for _ in $(seq 1 "$RUNS"); do
    curl -s -o /dev/null -w '%{time_total}\n' -H "Authorization: Bearer $token" "$api/api/v1/devices?$query"
  done | sort -n | awk -v q="$query" '{a[NR]=$1} END {printf "  %-22s %.1f ms\n", q, a[int((NR+1)/2)]*1000}'
done

"$DRIVER/node/linux-x64/node" bench/web-devices-page.js "$DRIVER/package" "$web" "$web_pid" "$RUNS" "$CIRCUITS"

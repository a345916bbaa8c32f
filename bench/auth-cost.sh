#!/usr/bin/env bash
# What authenticating an operator request costs the API: starts the AppHost (API, PostgreSQL, Redis, web, one simulated
# device, no dashboard) in a throwaway state folder, then runs bench/Fleet.AuthBench against it, which signs user admin
# in through the API's issuer (authorization code + PKCE), makes a personal access token, and times an anonymous GET /
# and GET /api/v1/me with the access token (JWT), the personal token, the break-glass token and no credential (401),
# interleaved over rounds, reading the API's CPU time from /proc.
#   bench/auth-cost.sh [--seconds 20] [--warmup 5] [--concurrency 8] [--rounds 2]
# CONFIGURATION (Release) picks the build; NO_BUILD=1 skips building, which matters on a busy machine.
set -euo pipefail
cd "$(dirname "$0")/.."
configuration=${CONFIGURATION:-Release}

if [[ -z ${NO_BUILD:-} ]]; then
  dotnet build Fleet.AppHost -c "$configuration" >/dev/null
  dotnet build bench/Fleet.AuthBench -c "$configuration" >/dev/null
fi

# The AppHost does not export the web's client secret to the state folder: this run sets its own and tells the benchmark.
FLEET_WEB_CLIENT_SECRET=$(head -c 24 /dev/urandom | od -An -tx1 | tr -d ' \n')
export FLEET_WEB_CLIENT_SECRET
source bench/lib.sh
start_apphost auth-cost env "Parameters__web-client-secret=$FLEET_WEB_CLIENT_SECRET" dotnet "Fleet.AppHost/bin/$configuration/net10.0/Fleet.AppHost.dll" --devices 1 --no-dashboard
wait_for 600 "every resource healthy" all_healthy

echo "app healthy; $(uptime)" >&2
dotnet "bench/Fleet.AuthBench/bin/$configuration/net10.0/Fleet.AuthBench.dll" --state-dir "$state" "$@"
echo "done; $(uptime)" >&2

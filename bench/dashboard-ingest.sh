#!/usr/bin/env bash
# Spans/s Fleet.Dashboard's OTLP/gRPC receiver ingests and its memory when every bound is reached.
#   bench/dashboard-ingest.sh [SECONDS] [CONCURRENCY]
# Builds Release, starts the dashboard as its own process on free ports, drives it, stops it.
set -euo pipefail
cd "$(dirname "$0")/.."
exec dotnet run --project bench/Fleet.DashboardBench -c Release -- --seconds "${1:-20}" --concurrency "${2:-4}" --batch 512 --resources 10

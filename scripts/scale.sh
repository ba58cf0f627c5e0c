#!/usr/bin/env bash
# The scale benchmark: builds the controller and the load generator
# optimized, then runs odin-scale (2,000 simulated agents with 50 clients
# each by default, statistics at 1 Hz, handoffs through the REST API) and
# prints a table and the RESULT scale line. Arguments go to odin-scale
# (try --help), e.g. scripts/scale.sh --agents 500 --measure-s 10
set -euo pipefail
cd "$(dirname "$0")/.."

printf '==> building odin-controller and odin-scale (optimized)\n' >&2
cargo build --locked --profile bench -p odin-controller -p odin-load
printf '==> running odin-scale %s\n' "$*" >&2
exec target/release/odin-scale "$@"

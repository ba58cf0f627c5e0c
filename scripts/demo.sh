#!/usr/bin/env bash
# The live demo. Today: one LVAP's life printed frame by frame, then a
# whole network in one process (the real controller and agents over TCP on
# loopback, on the simulated radio medium, with simulated clients): every
# controller event live, a migration every 3 s. Ctrl-C stops it.
# Usage: scripts/demo.sh [--agents N] [--clients N] [--seconds S]
set -euo pipefail
cd "$(dirname "$0")/.."

step() { printf '\n==> %s\n' "$*"; }

step "building (release)"
cargo build --release --locked -p odin-testbed -p odin-agent --bins --examples

step "one LVAP's life: association, migration between two agents, departure"
target/release/examples/lvap_trace

step "a network: controller, agents and clients on the simulated medium (Ctrl-C stops)"
exec target/release/odin-testbed "$@"

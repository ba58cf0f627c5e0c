#!/usr/bin/env bash
# The live demo. Today: two agents' LVAPs serve a scripted client (probe,
# authentication, association, a migration, the client leaving) with every
# frame and kernel action printed; then the real frames captured from
# hostapd and wpa_supplicant in the hwsim VM, decoded by odin-wire.
# Usage: scripts/demo.sh
set -euo pipefail
cd "$(dirname "$0")/.."

step() { printf '\n==> %s\n' "$*"; }

step "building (release)"
cargo build --release --locked -p odin-agent -p odin-wire --examples

step "an LVAP's life: association, migration between two agents, departure"
cargo run --release --locked -q -p odin-agent --example lvap_trace

step "real frames from hostapd and wpa_supplicant on mac80211_hwsim, decoded"
cargo run --release --locked -q -p odin-wire --example decode -- \
    odin-wire/tests/data/hwsim-open-assoc.pcap odin-wire/tests/data/hwsim-reassoc.pcap

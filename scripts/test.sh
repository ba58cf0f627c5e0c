#!/usr/bin/env bash
# Runs every test of the project: formatting, lints, unit and integration
# tests, and the fuzz targets over their seed corpus. Installs what it needs.
# Usage: scripts/test.sh
set -euo pipefail
cd "$(dirname "$0")/.."

step() { printf '\n==> %s\n' "$*"; }

step "checking the toolchain"
for component in rustfmt clippy; do
    if ! cargo "${component/rustfmt/fmt}" --version >/dev/null 2>&1; then
        rustup component add "$component"
    fi
done
cargo --version

step "shellcheck (every shell script)"
if ! command -v shellcheck >/dev/null 2>&1; then
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq shellcheck </dev/null
fi
git ls-files '*.sh' .ci/run | xargs shellcheck

step "cargo fmt --check"
cargo fmt --all -- --check

step "cargo clippy (all targets, warnings are errors)"
cargo clippy --workspace --all-targets --locked -- -D warnings

step "cargo test (unit, property and integration tests)"
cargo test --workspace --locked

step "benchmarks compile and run once (no timing asserted)"
cargo test --workspace --benches --locked

step "hwsim VM: real hostapd and wpa_supplicant, frames captured on a monitor radio"
# Installs QEMU, hostapd, wpa_supplicant and a Debian kernel (cached under
# .cache/hwsim) on first use; about two minutes under emulation.
captures=target/hwsim-results/capture-frames
rm -rf "$captures"
ODIN_RESULTS_DIR=$PWD/$captures hwsim-tests/vm/run.sh -r 4 -t 600 hwsim-tests/scenarios/capture-frames.sh

step "odin-wire parses and re-emits every frame captured just now"
ODIN_CAPTURE_DIR=$PWD/$captures/pcap cargo test --locked -p odin-wire --test captures --test radiotap_pcap

step "hwsim VM: a real wpa_supplicant associates through an LVAP on our nl80211 backend, pings, and is timed against hostapd"
cargo build --locked -p odin-agent -p odin-controller --bins
ODIN_RESULTS_DIR=$PWD/target/hwsim-results/nl80211-lvap hwsim-tests/vm/run.sh -r 2 -t 400 hwsim-tests/scenarios/nl80211-lvap.sh
cat target/hwsim-results/nl80211-lvap/summary.txt

step "hwsim VM: controller and two agent daemons on real radios; wpa_supplicant gets an LVAP from the controller"
ODIN_RESULTS_DIR=$PWD/target/hwsim-results/nl80211-controller hwsim-tests/vm/run.sh -r 3 -t 300 hwsim-tests/scenarios/nl80211-controller.sh
cat target/hwsim-results/nl80211-controller/summary.txt

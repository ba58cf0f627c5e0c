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
git ls-files '*.sh' .ci/run openwrt/odin-agent/files/odin-agent.init | xargs shellcheck

step "cargo fmt --check"
cargo fmt --all -- --check

step "cargo clippy (all targets, warnings are errors)"
cargo clippy --workspace --all-targets --locked -- -D warnings

step "PostgreSQL for the store's tests (a throwaway cluster on 127.0.0.1:54329, removed at exit)"
# Installs PostgreSQL on first use; the store's suite runs against it as
# well as against SQLite (odin-controller/src/store/tests.rs).
ODIN_TEST_POSTGRES_URL="$(scripts/postgres.sh start)"
export ODIN_TEST_POSTGRES_URL
trap 'scripts/postgres.sh stop' EXIT

step "cargo test (unit, property and integration tests)"
cargo test --workspace --locked
scripts/postgres.sh stop
unset ODIN_TEST_POSTGRES_URL

step "benchmarks compile and run once (no timing asserted)"
cargo test --workspace --benches --locked

step "web dashboard: build, unit tests, browser tests in headless Chromium"; scripts/web-test.sh

step "hwsim VM: every scenario in one boot (real hostapd and wpa_supplicant; our agents and controller), then odin-wire on the fresh captures"
# Builds the agent and the controller; installs QEMU, hostapd,
# wpa_supplicant and a Debian kernel (cached under .cache/hwsim) on first
# use. One VM boot runs every hwsim-tests/scenarios/*.sh that declares its
# radios, shows their log lines as they happen, and ends with one line per
# scenario; results in target/hwsim-results/suite/.
hwsim-tests/run-suite.sh

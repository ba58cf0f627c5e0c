#!/usr/bin/env bash
# The web dashboard's tests: builds it (typecheck included) and the
# odin-testbed binary, runs the unit tests (vitest) and the browser tests
# (web/tests/browser.mjs: headless Chromium driven by playwright-core
# against a real testbed network serving the API and the dashboard).
# Installs what is missing: Debian's chromium (as root), web/node_modules
# (npm ci, from web/package-lock.json). Screenshots: target/web-artifacts/.
# Usage: scripts/web-test.sh
set -euo pipefail
cd "$(dirname "$0")/.."

step() { printf '\n==> [web %ds] %s\n' "$SECONDS" "$*"; }

step "Chromium"
if [ ! -x /usr/bin/chromium ]; then
    if [ "$(id -u)" -ne 0 ]; then
        echo "/usr/bin/chromium is missing: install Debian's chromium package (apt-get install chromium) or run as root" >&2
        exit 1
    fi
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium </dev/null
fi
/usr/bin/chromium --version

step "Node.js and the dashboard's packages (npm ci)"
if ! command -v npm >/dev/null 2>&1; then
    echo "npm is missing: the dashboard needs Node.js 20.19 or later with npm" >&2
    exit 1
fi
# Vite 7 wants Node.js 20.19 or later (Debian 12's own nodejs is 18).
if ! node -e 'const [a, b] = process.versions.node.split(".").map(Number); process.exit(a > 20 || (a === 20 && b >= 19) ? 0 : 1)'; then
    echo "Node.js $(node --version) is too old: the dashboard's build (Vite 7) needs 20.19 or later" >&2
    exit 1
fi
node --version
# playwright-core drives the system's Chromium: never download a browser.
export PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1
(cd web && npm ci --no-audit --no-fund)

step "build the dashboard (tsc --noEmit, vite build into web/dist)"
(cd web && npm run build)

step "unit tests (vitest)"
(cd web && npm test)

step "build odin-testbed (debug)"
cargo build --locked -p odin-testbed --bin odin-testbed

step "browser tests (headless Chromium against odin-testbed)"
mkdir -p target/web-artifacts
root="$PWD"
(cd web && ODIN_TESTBED="$root/target/debug/odin-testbed" \
    ODIN_ARTIFACTS="$root/target/web-artifacts" node tests/browser.mjs)

step "web tests passed; screenshots in target/web-artifacts/"

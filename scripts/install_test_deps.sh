#!/usr/bin/env bash
# Installs what the browser test (tests/browser) needs on a fresh machine:
# Debian's Chromium and ChromeDriver, and the npm packages of package.json
# (playwright-core drives that Chromium; no browser is downloaded).
# Idempotent and quick when everything is already there.
set -euo pipefail
cd "$(dirname "$0")/.."

if ! command -v chromium >/dev/null 2>&1 || ! command -v chromedriver >/dev/null 2>&1; then
  echo "==> installing Debian's chromium and chromium-driver"
  SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO="sudo"
  export DEBIAN_FRONTEND=noninteractive
  $SUDO apt-get update -qq
  $SUDO apt-get install -y -qq --no-install-recommends chromium chromium-driver >/dev/null
fi

if ! command -v node >/dev/null 2>&1 || ! command -v npm >/dev/null 2>&1; then
  echo "ERROR: node and npm are needed for the browser test (apt-get install nodejs npm)" >&2
  exit 1
fi

# npm ci only when the lock changed since the last install.
lock_hash=$(sha256sum package-lock.json | cut -c1-16)
if [ ! -d node_modules/playwright-core ] || [ "$(cat node_modules/.lock.sha 2>/dev/null)" != "$lock_hash" ]; then
  echo "==> npm ci (playwright-core, socket.io-client)"
  PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 npm ci --no-audit --no-fund --loglevel=error
  echo "$lock_hash" > node_modules/.lock.sha
fi

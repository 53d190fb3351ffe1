#!/usr/bin/env bash
# Install the browser the browser tests drive (tests/browser/): Debian's `chromium` at /usr/bin/chromium.
# Idempotent: does nothing when it is already there. Playwright never downloads a browser of its own.
# Needs root (CI images run as root); elsewhere run it with sudo.
set -euo pipefail
if [ -x /usr/bin/chromium ]; then
    echo "chromium: $(/usr/bin/chromium --version 2>/dev/null || echo present) at /usr/bin/chromium"
    exit 0
fi
if [ "$(id -u)" -ne 0 ]; then
    echo "install_browser.sh: /usr/bin/chromium is missing and installing it needs root (try: sudo $0)" >&2
    exit 1
fi
export DEBIAN_FRONTEND=noninteractive
apt-get update
apt-get install -y --no-install-recommends chromium
/usr/bin/chromium --version

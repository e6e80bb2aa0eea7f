#!/usr/bin/env bash
# Chromium (Debian's chromium package) for the browser tests: installed, never left running.
#
#   scripts/services/chromium.sh install   install the package if the chromium binary is missing
#   scripts/services/chromium.sh up        same as install (what scripts/services/up.sh runs)
#   scripts/services/chromium.sh status    exit 0 if installed; prints the binary and its version
#
# Each test launches its own headless Chromium through playwright-core with a fresh profile
# (test/support/browser.ts), so there is no daemon to start or stop here. Playwright's own browser
# download (`npx playwright install`) is never used: Debian's build is the browser the tests drive.
set -euo pipefail

SERVICE_NAME=chromium
# shellcheck source=scripts/services/_common.sh
source "$(dirname "${BASH_SOURCE[0]}")/_common.sh"

STATE="${SERVICES_STATE}/chromium"

chromium_bin() {
  if command -v chromium >/dev/null; then
    command -v chromium
  elif [[ -x /usr/bin/chromium ]]; then
    echo /usr/bin/chromium
  else
    return 1
  fi
}

# Serialize installs (two shells running up at once); apt itself waits on its lock too.
lock() {
  mkdir -p "$STATE"
  exec 9>"${STATE}/.lock"
  flock -w 600 9 || die "another ${SERVICE_NAME}.sh command holds ${STATE}/.lock"
}

install_if_needed() {
  chromium_bin >/dev/null && return 0
  info "installing Debian package chromium"
  # Not its recommends (systemd, udev, avahi, CUPS helpers, a notification daemon: ~100 packages
  # a headless browser never uses); fonts-liberation is the one kept, so that pages asking for
  # Arial, Helvetica or Times render with metric-compatible fonts in screenshots.
  apt_install --no-install-recommends chromium fonts-liberation
  chromium_bin >/dev/null || die "package chromium installed but the chromium binary is missing"
}

status() {
  local bin version
  if bin="$(chromium_bin)"; then
    version="$("$bin" --version 2>/dev/null | sed -n 's/^Chromium \([0-9.]*\).*/\1/p' | head -n 1)"
    echo "chromium: installed ${bin}, version ${version:-unknown} (tests launch their own browsers)"
  else
    echo "chromium: not installed (scripts/services/chromium.sh install)"
    return 3
  fi
}

usage() {
  sed -n '2,10p' "$0" | sed 's/^# \{0,1\}//' >&2
  exit 2
}

case "${1:-}" in
  install | up) lock; install_if_needed ;;
  status) status ;;
  *) usage ;;
esac

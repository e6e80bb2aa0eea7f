#!/usr/bin/env bash
# Prometheus 2.x (Debian's prometheus package) for tests: installed, never left running.
#
#   scripts/services/prometheus.sh install   install the package if the prometheus binary is missing
#   scripts/services/prometheus.sh up        same as install (what scripts/services/up.sh runs)
#   scripts/services/prometheus.sh status    exit 0 if installed; prints the binary and its version
#
# Each test starts its own Prometheus on a free port with its own scrape targets, config and
# storage in a temp dir (test/support/prometheus.ts), so there is no daemon to start or stop here.
# The package's own daemon (9090) and node exporter (9100), started by systemd or init.d on
# install, are stopped and disabled.
set -euo pipefail

SERVICE_NAME=prometheus
# shellcheck source=scripts/services/_common.sh
source "$(dirname "${BASH_SOURCE[0]}")/_common.sh"

STATE="${SERVICES_STATE}/prometheus"

prometheus_bin() {
  if command -v prometheus >/dev/null; then
    command -v prometheus
  elif [[ -x /usr/bin/prometheus ]]; then
    echo /usr/bin/prometheus
  else
    return 1
  fi
}

# stop_package_daemon UNIT: stop and disable a daemon the package started; tests run their own
# instances, and a stray one scraping and writing under /var/lib is CPU the 2-core CI lacks.
stop_package_daemon() {
  local unit="$1"
  if command -v systemctl >/dev/null && [[ -d /run/systemd/system ]]; then
    as_root systemctl disable --now "$unit" >/dev/null 2>&1 || true
  elif [[ -x "/etc/init.d/${unit}" ]]; then
    as_root /etc/init.d/"$unit" stop >/dev/null 2>&1 || true
    command -v update-rc.d >/dev/null && as_root update-rc.d "$unit" disable >/dev/null 2>&1 || true
  fi
}

# Serialize installs (two shells running up at once); apt itself waits on its lock too.
lock() {
  mkdir -p "$STATE"
  exec 9>"${STATE}/.lock"
  flock -w 600 9 || die "another ${SERVICE_NAME}.sh command holds ${STATE}/.lock"
}

install_if_needed() {
  prometheus_bin >/dev/null && return 0
  info "installing Debian package prometheus"
  # Not its recommended prometheus-node-exporter: the tests scrape the product's processes only.
  apt_install --no-install-recommends prometheus
  prometheus_bin >/dev/null || die "package prometheus installed but the prometheus binary is missing"
  stop_package_daemon prometheus
  stop_package_daemon prometheus-node-exporter
}

status() {
  local bin version
  if bin="$(prometheus_bin)"; then
    version="$("$bin" --version 2>&1 | sed -n 's/^prometheus, version \([^ ]*\).*/\1/p' | head -n 1)"
    echo "prometheus: installed ${bin}, version ${version:-unknown} (tests start their own servers)"
  else
    echo "prometheus: not installed (scripts/services/prometheus.sh install)"
    return 3
  fi
}

usage() {
  sed -n '2,11p' "$0" | sed 's/^# \{0,1\}//' >&2
  exit 2
}

case "${1:-}" in
  install | up) lock; install_if_needed ;;
  status) status ;;
  *) usage ;;
esac

# shellcheck shell=bash disable=SC2034
# Shared helpers for scripts/services/*.sh (sourced, not executed).

SERVICES_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
# Machine-wide, not per checkout: the services belong to the machine, and a fresh clone (CI) must
# find, reuse and control (fault tests stop and start them) what another checkout started.
SERVICES_STATE="${IOT_SERVICES_STATE:-${XDG_STATE_HOME:-$HOME/.local/state}/iot-analytics/services}"
SERVICES_CACHE="${XDG_CACHE_HOME:-$HOME/.cache}/iot-analytics"

die() {
  echo "error: ${SERVICE_NAME:-services}: $*" >&2
  exit 1
}

info() {
  [[ -n "${SERVICES_VERBOSE:-}" ]] && echo "${SERVICE_NAME:-services}: $*" >&2
  return 0
}

# as_root CMD...: run as root (we usually are root on dev/CI machines).
as_root() {
  if [[ $(id -u) -eq 0 ]]; then "$@"; else sudo -n "$@"; fi
}

# apt_install PKG...: apt-get update (once per process) then install quietly.
_APT_UPDATED=""
apt_install() {
  command -v apt-get >/dev/null || die "apt-get not found; install $* by hand"
  local log
  log="$(mktemp)"
  if [[ -z "$_APT_UPDATED" ]]; then
    as_root apt-get -o DPkg::Lock::Timeout=300 update -qq >"$log" 2>&1 \
      || { cat "$log" >&2; rm -f "$log"; die "apt-get update failed"; }
    _APT_UPDATED=1
  fi
  as_root env DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=300 install -y -q "$@" >"$log" 2>&1 \
    || { tail -n 30 "$log" >&2; rm -f "$log"; die "apt-get install $* failed"; }
  rm -f "$log"
}

# pid_alive PIDFILE PATTERN: true if PIDFILE names a live process whose command line contains PATTERN.
pid_alive() {
  local pidfile="$1" pattern="$2" pid
  [[ -f "$pidfile" ]] || return 1
  pid="$(cat "$pidfile" 2>/dev/null || true)"
  [[ "$pid" =~ ^[0-9]+$ ]] || return 1
  [[ -r "/proc/$pid/cmdline" ]] || return 1
  tr '\0' ' ' <"/proc/$pid/cmdline" | grep -qF -- "$pattern"
}

# port_open HOST PORT: true if something accepts TCP connections there.
port_open() {
  (exec 3<>"/dev/tcp/$1/$2") 2>/dev/null
}

# stop_pid PIDFILE PATTERN TIMEOUT_S: SIGTERM, wait, then SIGKILL. Removes the pid file.
stop_pid() {
  local pidfile="$1" pattern="$2" timeout="$3" pid i
  if ! pid_alive "$pidfile" "$pattern"; then
    rm -f "$pidfile"
    return 0
  fi
  pid="$(cat "$pidfile")"
  kill -TERM "$pid" 2>/dev/null || true
  for ((i = 0; i < timeout * 10; i++)); do
    kill -0 "$pid" 2>/dev/null || { rm -f "$pidfile"; return 0; }
    sleep 0.1
  done
  echo "warning: ${SERVICE_NAME:-service} (pid $pid) did not stop within ${timeout}s; sending SIGKILL" >&2
  kill -KILL "$pid" 2>/dev/null || true
  for ((i = 0; i < 50; i++)); do
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.1
  done
  rm -f "$pidfile"
}

# kill_pid PIDFILE PATTERN: SIGKILL at once (crash simulation).
kill_pid() {
  local pidfile="$1" pattern="$2" pid i
  if pid_alive "$pidfile" "$pattern"; then
    pid="$(cat "$pidfile")"
    kill -KILL "$pid" 2>/dev/null || true
    for ((i = 0; i < 50; i++)); do
      kill -0 "$pid" 2>/dev/null || break
      sleep 0.1
    done
  fi
  rm -f "$pidfile"
}

# now_ms: milliseconds since the epoch.
now_ms() { date +%s%3N; }

# pid_exists PIDFILE: true if the pid in PIDFILE is a live process (any command line; right after
# the fork the child may not have exec'd its program yet, so pid_alive's pattern can't match).
pid_exists() {
  local pid
  pid="$(cat "$1" 2>/dev/null || true)"
  [[ "$pid" =~ ^[0-9]+$ ]] && kill -0 "$pid" 2>/dev/null
}

#!/usr/bin/env bash
# The machine's Redis (127.0.0.1:6379, keeps nothing on disk), started if it is not running.
#
#   scripts/services/redis.sh up | start   install if missing, start if not running, wait for PONG
#   scripts/services/redis.sh stop         SHUTDOWN NOSAVE (fault tests restart it with start)
#   scripts/services/redis.sh status       exit 0 if it answers PING
set -euo pipefail

SERVICE_NAME=redis
# shellcheck source=scripts/services/_common.sh
source "$(dirname "${BASH_SOURCE[0]}")/_common.sh"

REDIS_HOST=127.0.0.1
REDIS_PORT=6379
REDIS_TIMEOUT="${REDIS_TIMEOUT:-30}"

ping_ok() { [[ "$(redis-cli -h "$REDIS_HOST" -p "$REDIS_PORT" ping 2>/dev/null || true)" == PONG ]]; }

start() {
  command -v redis-cli >/dev/null && ping_ok && return 0
  if ! command -v redis-server >/dev/null; then
    info "installing Debian package redis-server"
    apt_install redis-server
  fi
  as_root mkdir -p /var/lib/redis /var/log/redis
  redis-server --daemonize yes --bind 127.0.0.1 -::1 --port 6379 --save "" --appendonly no \
    --dir /var/lib/redis --logfile /var/log/redis/ci.log >/dev/null \
    || die "redis-server failed to start (see /var/log/redis/ci.log)"
  local deadline=$((SECONDS + REDIS_TIMEOUT))
  until ping_ok; do
    if ((SECONDS >= deadline)); then
      tail -n 20 /var/log/redis/ci.log >&2 || true
      die "Redis did not answer PING on ${REDIS_HOST}:${REDIS_PORT} within ${REDIS_TIMEOUT}s"
    fi
    sleep 0.1
  done
}

stop() {
  ping_ok || return 0
  redis-cli -h "$REDIS_HOST" -p "$REDIS_PORT" shutdown nosave >/dev/null 2>&1 || true
  local deadline=$((SECONDS + REDIS_TIMEOUT))
  while port_open "$REDIS_HOST" "$REDIS_PORT"; do
    ((SECONDS < deadline)) || die "Redis still listens on ${REDIS_HOST}:${REDIS_PORT} after SHUTDOWN"
    sleep 0.05
  done
}

status() {
  if ping_ok; then
    echo "redis: running on ${REDIS_HOST}:${REDIS_PORT}"
  else
    echo "redis: not answering on ${REDIS_HOST}:${REDIS_PORT}"
    return 3
  fi
}

case "${1:-}" in
  up | start) start ;;
  stop | down) stop ;;
  status) status ;;
  *) sed -n '2,7p' "$0" | sed 's/^# \{0,1\}//' >&2; exit 2 ;;
esac

#!/usr/bin/env bash
# The machine's PostgreSQL (trust auth on 127.0.0.1:5432), started if it is not running.
#
#   scripts/services/postgres.sh up      install if missing, start if not running, ensure database iot_test
#   scripts/services/postgres.sh status  exit 0 if it accepts connections
set -euo pipefail

SERVICE_NAME=postgres
# shellcheck source=scripts/services/_common.sh
source "$(dirname "${BASH_SOURCE[0]}")/_common.sh"

PG_HOST=127.0.0.1
PG_PORT=5432
PG_USER=postgres
PG_DB="${PG_DB:-iot_test}"
PG_READY_TIMEOUT="${PG_READY_TIMEOUT:-60}"

ready() { pg_isready -q -h "$PG_HOST" -p "$PG_PORT" -t 2 >/dev/null 2>&1; }

start() {
  command -v pg_isready >/dev/null && ready && return 0
  if ! command -v pg_ctlcluster >/dev/null || [[ -z "$(ls /etc/postgresql 2>/dev/null)" ]]; then
    info "installing Debian package postgresql"
    apt_install postgresql
  fi
  local version out
  # shellcheck disable=SC2012 # the env notes start it with $(ls /etc/postgresql)
  version="$(ls /etc/postgresql | sort -V | tail -n 1)"
  out="$(as_root pg_ctlcluster --skip-systemctl-redirect "$version" main start 2>&1)" || {
    ready || { echo "$out" >&2; die "pg_ctlcluster --skip-systemctl-redirect $version main start failed"; }
  }
  local deadline=$((SECONDS + PG_READY_TIMEOUT))
  until ready; do
    ((SECONDS < deadline)) || die "PostgreSQL did not accept connections on ${PG_HOST}:${PG_PORT} within ${PG_READY_TIMEOUT}s"
    sleep 0.2
  done
}

# psql_admin ARGS...: as postgres over TCP (trust auth on these machines), else over the socket as the OS user postgres.
psql_admin() {
  if psql -h "$PG_HOST" -p "$PG_PORT" -U "$PG_USER" -d postgres -w -c 'select 1' >/dev/null 2>&1; then
    psql -h "$PG_HOST" -p "$PG_PORT" -U "$PG_USER" -d postgres -w -v ON_ERROR_STOP=1 -qtA "$@"
  elif [[ $(id -u) -eq 0 ]]; then
    runuser -u postgres -- psql -p "$PG_PORT" -d postgres -v ON_ERROR_STOP=1 -qtA "$@"
  else
    die "cannot connect to PostgreSQL as ${PG_USER} on ${PG_HOST}:${PG_PORT}"
  fi
}

up() {
  start
  local exists
  exists="$(psql_admin -c "SELECT 1 FROM pg_database WHERE datname = '${PG_DB}'")" || die "cannot list databases"
  if [[ "$exists" != 1 ]]; then
    psql_admin -c "CREATE DATABASE \"${PG_DB}\"" >/dev/null || {
      # Another process may have created it meanwhile.
      [[ "$(psql_admin -c "SELECT 1 FROM pg_database WHERE datname = '${PG_DB}'")" == 1 ]] \
        || die "could not create database ${PG_DB}"
    }
  fi
}

status() {
  if ready; then
    echo "postgres: running on ${PG_HOST}:${PG_PORT}"
  else
    echo "postgres: not accepting connections on ${PG_HOST}:${PG_PORT}"
    return 3
  fi
}

case "${1:-}" in
  up) up ;;
  start) start ;;
  status) status ;;
  *) sed -n '2,6p' "$0" | sed 's/^# \{0,1\}//' >&2; exit 2 ;;
esac

#!/usr/bin/env bash
# The machine's PostgreSQL (trust auth on 127.0.0.1:5432), started if it is not running, with TLS
# on the same port: ssl=on with the test certificate of _common.sh (ALTER SYSTEM, then a reload;
# plaintext connections keep working), and a role iot_tls (password PG_TLS_PASSWORD) that may log in
# over TLS with its password only (pg_hba.conf lines marked "iot-analytics", above the others).
#
#   scripts/services/postgres.sh up      install if missing, start if not running, ensure database iot_test and TLS
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

# The server's copies of the test certificate: PostgreSQL wants its key owned by its own user
# (or root) and not readable by others, in a folder it can reach.
pg_tls_dir() { echo "$(getent passwd postgres | cut -d: -f6)/iot-analytics-tls"; }

HBA_MARK="# iot-analytics: TLS test role (scripts/services/postgres.sh)"

# ensure_tls: ssl=on with our certificate, the iot_tls role and its hostssl lines; reloads only
# when something changed.
ensure_tls() {
  ensure_test_certs
  local dir changed="" hba file
  dir="$(pg_tls_dir)"
  as_root mkdir -p "$dir"
  for file in server-chain.crt server.key; do
    if ! as_root cmp -s "${TLS_DIR}/${file}" "${dir}/${file}"; then
      as_root install -o postgres -g postgres -m 600 "${TLS_DIR}/${file}" "${dir}/${file}"
      changed=1
    fi
  done
  as_root chown postgres:postgres "$dir"
  as_root chmod 700 "$dir"
  hba="$(psql_admin -c 'SHOW hba_file')" || die "cannot read hba_file"
  if ! as_root grep -qF "$HBA_MARK" "$hba"; then
    # First match wins: these go above every other line, so the role's password is checked over
    # TLS and its plaintext attempts are refused, whatever the lines below allow (trust).
    as_root sed -i "1i ${HBA_MARK}\\
hostssl all ${PG_TLS_ROLE} 127.0.0.1/32 scram-sha-256\\
hostssl all ${PG_TLS_ROLE} ::1/128 scram-sha-256\\
host all ${PG_TLS_ROLE} 0.0.0.0/0 reject\\
host all ${PG_TLS_ROLE} ::/0 reject" "$hba"
    changed=1
  fi
  local want="on|${dir}/server-chain.crt|${dir}/server.key"
  if [[ "$(psql_admin -c "SELECT current_setting('ssl') || '|' || current_setting('ssl_cert_file') || '|' || current_setting('ssl_key_file')")" != "$want" ]]; then
    psql_admin -c "ALTER SYSTEM SET ssl_cert_file = '${dir}/server-chain.crt'" \
      -c "ALTER SYSTEM SET ssl_key_file = '${dir}/server.key'" -c "ALTER SYSTEM SET ssl = on" >/dev/null \
      || die "ALTER SYSTEM SET ssl failed"
    changed=1
  fi
  # The password is set every time: cheap, and it keeps the role's password the one env.sh gives.
  psql_admin >/dev/null <<EOF || die "could not create the role ${PG_TLS_ROLE}"
SET password_encryption = 'scram-sha-256';
DO \$\$ BEGIN
  IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = '${PG_TLS_ROLE}') THEN
    CREATE ROLE ${PG_TLS_ROLE} LOGIN;
  END IF;
END \$\$;
ALTER ROLE ${PG_TLS_ROLE} LOGIN PASSWORD '${PG_TLS_PASSWORD}';
EOF
  if [[ -n "$changed" ]]; then
    psql_admin -c 'SELECT pg_reload_conf()' >/dev/null || die "pg_reload_conf() failed"
  fi
  # A reload that PostgreSQL refused (a bad key, a bad pg_hba line) keeps the old settings and only
  # logs why: check that a verified TLS connection as the role works.
  local deadline=$((SECONDS + 10)) out
  until out="$(PGPASSWORD="$PG_TLS_PASSWORD" psql -w -qtA \
    "host=${PG_HOST} port=${PG_PORT} user=${PG_TLS_ROLE} dbname=postgres sslmode=verify-full sslrootcert=${TLS_DIR}/ca.crt" \
    -c 'SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()' 2>&1)" && [[ "$out" == t ]]; do
    ((SECONDS < deadline)) || die "no verified TLS connection as ${PG_TLS_ROLE} after the reload: ${out} (see the server's log)"
    sleep 0.2
  done
}

up() {
  start
  ensure_tls
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

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

# Test certificates for the services' TLS listeners (Kafka SASL_SSL, Redis TLS, PostgreSQL ssl,
# InfluxDB HTTPS), generated once with openssl into ${SERVICES_STATE}/tls:
#   ca.crt                the test CA: clients trust it (TEST_TLS_CA_FILE)
#   server.key, server.crt, server-chain.crt (server + CA)   for localhost, 127.0.0.1 and ::1
#   kafka.p12             the same key and chain as a PKCS#12 keystore (password TLS_KEYSTORE_PASSWORD)
#   other-ca.crt          a second CA that signed nothing the servers present (TEST_TLS_OTHER_CA_FILE)
# Made again when a file is missing or the server certificate expires within 30 days; a service
# notices through tls_fingerprint (its generated config changes) and restarts or reloads.
TLS_DIR="${SERVICES_STATE}/tls"
TLS_KEYSTORE_PASSWORD=iot-test-keystore
TLS_DAYS=825

# The test credentials of the secure listeners (test servers on loopback only; env.sh exports
# the same values as TEST_*).
KAFKA_SASL_PLAIN_USER=iot_plain
KAFKA_SASL_PLAIN_PASSWORD=iot-plain-secret
KAFKA_SASL_SCRAM_USER=iot_scram
KAFKA_SASL_SCRAM_PASSWORD=iot-scram-secret
REDIS_TLS_PASSWORD=iot-redis-secret
PG_TLS_ROLE=iot_tls
PG_TLS_PASSWORD=iot-tls-secret
INFLUX_TLS_USER=iot
INFLUX_TLS_PASSWORD=iot-influx-secret

_tls_complete() {
  local file
  for file in ca.key ca.crt server.key server.crt server-chain.crt kafka.p12 other-ca.key other-ca.crt; do
    [[ -s "${TLS_DIR}/${file}" ]] || return 1
  done
  openssl x509 -checkend $((30 * 86400)) -noout -in "${TLS_DIR}/server.crt" >/dev/null 2>&1
}

# ensure_test_certs: make the test CA, server certificate and keystore unless they are there.
ensure_test_certs() {
  command -v openssl >/dev/null || apt_install openssl
  mkdir -p "$TLS_DIR"
  chmod 700 "$TLS_DIR"
  _tls_complete && return 0
  # Several services' up may run at once (up.sh runs Kafka and InfluxDB side by side).
  (
    exec 7>"${TLS_DIR}/.lock"
    flock -w 120 7 || die "another process holds ${TLS_DIR}/.lock"
    _tls_complete && exit 0
    info "generating test certificates in ${TLS_DIR}"
    local tmp log
    tmp="$(mktemp -d "${TLS_DIR}/.new.XXXXXX")"
    log="${tmp}/openssl.log"
    {
      openssl req -x509 -newkey rsa:2048 -nodes -sha256 -days "$TLS_DAYS" \
        -subj "/O=iot-analytics tests/CN=iot-analytics test CA" \
        -addext "basicConstraints=critical,CA:TRUE" -addext "keyUsage=critical,keyCertSign,cRLSign" \
        -keyout "${tmp}/ca.key" -out "${tmp}/ca.crt" &&
        openssl req -x509 -newkey rsa:2048 -nodes -sha256 -days "$TLS_DAYS" \
          -subj "/O=iot-analytics tests/CN=iot-analytics untrusted test CA" \
          -addext "basicConstraints=critical,CA:TRUE" -addext "keyUsage=critical,keyCertSign,cRLSign" \
          -keyout "${tmp}/other-ca.key" -out "${tmp}/other-ca.crt" &&
        openssl req -newkey rsa:2048 -nodes -sha256 -subj "/O=iot-analytics tests/CN=localhost" \
          -keyout "${tmp}/server.key" -out "${tmp}/server.csr" &&
        printf '%s\n' "basicConstraints=CA:FALSE" "keyUsage=critical,digitalSignature,keyEncipherment" \
          "extendedKeyUsage=serverAuth" "subjectAltName=DNS:localhost,IP:127.0.0.1,IP:::1" >"${tmp}/server.ext" &&
        openssl x509 -req -sha256 -days "$TLS_DAYS" -in "${tmp}/server.csr" -CA "${tmp}/ca.crt" \
          -CAkey "${tmp}/ca.key" -CAcreateserial -extfile "${tmp}/server.ext" -out "${tmp}/server.crt" &&
        cat "${tmp}/server.crt" "${tmp}/ca.crt" >"${tmp}/server-chain.crt" &&
        openssl pkcs12 -export -name server -inkey "${tmp}/server.key" -in "${tmp}/server.crt" \
          -certfile "${tmp}/ca.crt" -passout "pass:${TLS_KEYSTORE_PASSWORD}" -out "${tmp}/kafka.p12"
    } >"$log" 2>&1 || { cat "$log" >&2; rm -rf "$tmp"; die "openssl could not make the test certificates"; }
    chmod 600 "${tmp}"/*.key "${tmp}/kafka.p12"
    local file
    for file in ca.key ca.crt other-ca.key other-ca.crt server.key server.crt server-chain.crt kafka.p12; do
      mv -f "${tmp}/${file}" "${TLS_DIR}/${file}"
    done
    rm -rf "$tmp"
  ) || exit 1
}

# tls_fingerprint: the server certificate's SHA-256 fingerprint, written into the services'
# generated configs so that new certificates change them (and the service restarts).
tls_fingerprint() {
  openssl x509 -noout -fingerprint -sha256 -in "${TLS_DIR}/server.crt" | sed 's/^.*=//'
}

#!/usr/bin/env bash
# Bring up every real service the tests need (no Docker): PostgreSQL, Redis, Kafka, InfluxDB, and
# install Prometheus and Chromium (each test starts its own: test/support/prometheus.ts,
# test/support/browser.ts).
# Prints one line per service with its address (Prometheus, Chromium: the binary) and the seconds
# it took. Idempotent.
# Then: eval "$(scripts/services/env.sh)" to get the TEST_* variables.
set -euo pipefail

DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
TMP="$(mktemp -d)"
trap 'rm -rf "$TMP"' EXIT

now_ms() { date +%s%3N; }
secs() { awk -v ms="$1" 'BEGIN { printf "%.1f", ms / 1000 }'; }

# run NAME ADDRESS: run DIR/NAME.sh up, record exit code, output and time under TMP.
run() {
  local name="$1" addr="$2" t0 rc=0
  t0="$(now_ms)"
  "${DIR}/${name}.sh" up >"${TMP}/${name}.out" 2>&1 || rc=$?
  echo "$rc $(($(now_ms) - t0)) ${addr}" >"${TMP}/${name}.res"
}

# PostgreSQL, Redis, Prometheus and Chromium first, one after the other (fast; they may need
# apt-get, which must not run twice at once; Chromium's first install takes ~30 s), then Kafka
# (JVM, maybe a Maven fetch) and InfluxDB side by side.
run postgres 127.0.0.1:5432
run redis 127.0.0.1:6379
run prometheus "$(command -v prometheus || echo /usr/bin/prometheus)"
run chromium "$(command -v chromium || echo /usr/bin/chromium)"
run kafka 127.0.0.1:9092 &
kafka_job=$!
run influxdb http://127.0.0.1:8086
wait "$kafka_job" || true

failed=0
for name in postgres redis prometheus chromium kafka influxdb; do
  read -r rc ms addr <"${TMP}/${name}.res"
  if [[ "$rc" == 0 && ("$name" == prometheus || "$name" == chromium) ]]; then
    printf '%-10s installed %-18s %5ss\n' "$name" "$addr" "$(secs "$ms")"
  elif [[ "$rc" == 0 ]]; then
    printf '%-10s up    %-22s %5ss\n' "$name" "$addr" "$(secs "$ms")"
  else
    failed=1
    printf '%-10s FAILED %-21s %5ss (exit %s)\n' "$name" "$addr" "$(secs "$ms")" "$rc" >&2
    sed 's/^/    /' "${TMP}/${name}.out" >&2
  fi
done
exit "$failed"

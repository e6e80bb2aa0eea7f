#!/usr/bin/env bash
# Stop the services that scripts/services/up.sh started itself (Kafka, InfluxDB), keeping their data.
# The machine's PostgreSQL and Redis are left running.
set -euo pipefail

DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
failed=0
"${DIR}/kafka.sh" down & kafka_job=$!
"${DIR}/influxdb.sh" down || failed=1
wait "$kafka_job" || failed=1
exit "$failed"

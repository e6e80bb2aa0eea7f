#!/usr/bin/env bash
# The variables tests use to find the real services.
#   eval "$(scripts/services/env.sh)"    or    source scripts/services/env.sh
# Values already set in the environment win.
_iot_services_env() {
  cat <<EOS
export TEST_DATABASE_URL=${TEST_DATABASE_URL:-postgresql://postgres@127.0.0.1:5432/iot_test}
export TEST_REDIS_URL=${TEST_REDIS_URL:-redis://127.0.0.1:6379}
export TEST_KAFKA_BROKERS=${TEST_KAFKA_BROKERS:-127.0.0.1:9092}
export TEST_INFLUX_URL=${TEST_INFLUX_URL:-http://127.0.0.1:8086}
export TEST_INFLUX_DB=${TEST_INFLUX_DB:-iot_test}
EOS
}
if [[ "${BASH_SOURCE[0]}" != "$0" ]]; then
  eval "$(_iot_services_env)"
  unset -f _iot_services_env
else
  set -euo pipefail
  _iot_services_env
fi

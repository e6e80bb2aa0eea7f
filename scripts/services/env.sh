#!/usr/bin/env bash
# The variables tests use to find the real services.
#   eval "$(scripts/services/env.sh)"    or    source scripts/services/env.sh
# Values already set in the environment win. The secure listeners (TLS, SASL) and their test
# credentials are those scripts/services/*.sh configure (_common.sh); the CA files are made there.
_iot_services_env() {
  local state="${IOT_SERVICES_STATE:-${XDG_STATE_HOME:-$HOME/.local/state}/iot-analytics/services}"
  cat <<EOS
export TEST_DATABASE_URL=${TEST_DATABASE_URL:-postgresql://postgres@127.0.0.1:5432/iot_test}
export TEST_REDIS_URL=${TEST_REDIS_URL:-redis://127.0.0.1:6379}
export TEST_KAFKA_BROKERS=${TEST_KAFKA_BROKERS:-127.0.0.1:9092}
export TEST_INFLUX_URL=${TEST_INFLUX_URL:-http://127.0.0.1:8086}
export TEST_INFLUX_DB=${TEST_INFLUX_DB:-iot_test}
export TEST_TLS_CA_FILE=${TEST_TLS_CA_FILE:-${state}/tls/ca.crt}
export TEST_TLS_OTHER_CA_FILE=${TEST_TLS_OTHER_CA_FILE:-${state}/tls/other-ca.crt}
export TEST_KAFKA_SASL_SSL_BROKERS=${TEST_KAFKA_SASL_SSL_BROKERS:-127.0.0.1:9094}
export TEST_KAFKA_SASL_PLAIN_USERNAME=${TEST_KAFKA_SASL_PLAIN_USERNAME:-iot_plain}
export TEST_KAFKA_SASL_PLAIN_PASSWORD=${TEST_KAFKA_SASL_PLAIN_PASSWORD:-iot-plain-secret}
export TEST_KAFKA_SASL_SCRAM_USERNAME=${TEST_KAFKA_SASL_SCRAM_USERNAME:-iot_scram}
export TEST_KAFKA_SASL_SCRAM_PASSWORD=${TEST_KAFKA_SASL_SCRAM_PASSWORD:-iot-scram-secret}
export TEST_REDIS_TLS_URL=${TEST_REDIS_TLS_URL:-rediss://127.0.0.1:6380}
export TEST_REDIS_TLS_PASSWORD=${TEST_REDIS_TLS_PASSWORD:-iot-redis-secret}
export TEST_DATABASE_TLS_URL=${TEST_DATABASE_TLS_URL:-postgresql://iot_tls@127.0.0.1:5432/postgres}
export TEST_DATABASE_TLS_PASSWORD=${TEST_DATABASE_TLS_PASSWORD:-iot-tls-secret}
export TEST_INFLUX_TLS_URL=${TEST_INFLUX_TLS_URL:-https://127.0.0.1:8087}
export TEST_INFLUX_TLS_USERNAME=${TEST_INFLUX_TLS_USERNAME:-iot}
export TEST_INFLUX_TLS_PASSWORD=${TEST_INFLUX_TLS_PASSWORD:-iot-influx-secret}
EOS
}
if [[ "${BASH_SOURCE[0]}" != "$0" ]]; then
  eval "$(_iot_services_env)"
  unset -f _iot_services_env
else
  set -euo pipefail
  _iot_services_env
fi

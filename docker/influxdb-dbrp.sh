#!/bin/bash
# Maps the v1 database "telemetry" to the bucket of the same name, so the app's v1 API calls
# (/write?db=telemetry, /query?db=telemetry) reach it.
set -e
bucket_id=$(influx bucket list --name "${DOCKER_INFLUXDB_INIT_BUCKET}" --hide-headers | cut -f1)
influx v1 dbrp create --db "${DOCKER_INFLUXDB_INIT_BUCKET}" --rp autogen --bucket-id "${bucket_id}" --default

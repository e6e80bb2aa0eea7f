#!/usr/bin/env bash
# The built server (`node dist/main.js`, what the Docker image and `start:*` scripts run) starts,
# answers /ready, serves the web console and exits 0 on SIGTERM. Tests run the sources through tsx; this checks the build.
#   npm run build && bash scripts/smoke-dist.sh
set -euo pipefail
cd "$(dirname "$0")/.."

data_dir="$(mktemp -d)"
log="${data_dir}.log"
port="$(node -e 'const s=require("net").createServer().listen(0,"127.0.0.1",()=>{console.log(s.address().port);s.close()})')"
trap 'rm -rf "$data_dir" "$log"' EXIT

PORT="$port" DATA_DIR="$data_dir" LOG_LEVEL=warn node dist/main.js >"$log" 2>&1 &
pid=$!
for _ in $(seq 1 150); do
  if curl -sf "http://127.0.0.1:${port}/ready" >/dev/null; then
    # The built console is served too (console/dist, from `npm run build`).
    if ! curl -sf "http://127.0.0.1:${port}/console/" | grep -q '<div id="app">'; then
      echo "dist: /console/ does not serve the console's page" >&2
      kill -TERM "$pid"
      exit 1
    fi
    kill -TERM "$pid"
    if wait "$pid"; then
      echo "dist: ready on :${port}, exited 0 on SIGTERM"
      exit 0
    fi
    echo "dist: exited non-zero after SIGTERM" >&2
    cat "$log" >&2
    exit 1
  fi
  if ! kill -0 "$pid" 2>/dev/null; then break; fi
  sleep 0.2
done
echo "dist: never became ready" >&2
cat "$log" >&2
kill -KILL "$pid" 2>/dev/null || true
exit 1

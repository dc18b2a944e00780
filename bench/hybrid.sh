#!/usr/bin/env bash
# Hybrid delivery under load: what share of answers goes back inside the callback's own reply, and what the
# callback's latency becomes when it waits for the answer (issue 10). Uses the side-by-side harness in
# ../shared/bench/load (the fast fake model + WeChat API, and wrk posting signed callbacks, one new follower each).
#   bench/hybrid.sh [DURATION] [CONNECTIONS] [MODEL_DELAY_MS]     (defaults 30s, 32, 0)
# Starts target/officialaccount-chatgpt.jar (Java 25 when present) with the default delivery (auto: hybrid), warms
# it up for 30 s, runs wrk, then reads the service's own meters: answers by path (passive, push), callback latency
# from wrk and from oac.callback.duration. Stops everything it started.
set -euo pipefail
cd "$(dirname "$0")/.."
DURATION=${1:-30s} CONNECTIONS=${2:-32} DELAY=${3:-0}
LOAD=../shared/bench/load
[ -d "$LOAD" ] || { echo "needs the harness in $LOAD" >&2; exit 2; }
JAVA=java; [ -x /usr/lib/jvm/temurin-25-jdk-amd64/bin/java ] && JAVA=/usr/lib/jvm/temurin-25-jdk-amd64/bin/java
UP=28711 PORT=18711 MGMT=18712 DATA=$(mktemp -d)
pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; wait 2>/dev/null || true; rm -rf "$DATA"; }
trap cleanup EXIT
java "$LOAD/upstream/Upstream.java" $UP "$DELAY" > /tmp/hybrid-upstream.log 2>&1 & pids+=($!)
SERVER_PORT=$PORT MANAGEMENT_SERVER_PORT=$MGMT CHAT_DATA_DIR="$DATA" CHAT_RATE_LIMIT_PER_MINUTE=0 \
  WECHAT_TOKEN=harnessToken42 WECHAT_APP_ID=wx0123456789abcdef WECHAT_APP_SECRET=s3cr3t-app-secret \
  OPENAI_API_KEY=sk-harness-key OPENAI_MODEL=harness-model OPENAI_BASE_URL=http://127.0.0.1:$UP/v1 \
  WECHAT_API_BASE_URL=http://127.0.0.1:$UP \
  "$JAVA" -Xmx512m -jar target/officialaccount-chatgpt.jar > /tmp/hybrid-service.log 2>&1 & pids+=($!)
for _ in $(seq 1 120); do curl -fs "http://127.0.0.1:$PORT/actuator/health" >/dev/null && break; sleep 0.5; done
QUIET=1 "$LOAD/run-wrk.sh" $PORT 30s "$CONNECTIONS" >/dev/null   # warm-up
meter() { curl -s "http://127.0.0.1:$MGMT/actuator/prometheus" | awk -v m="$1" '$1 ~ "^"m {s+=$2} END {printf "%d", s}'; }
passive0=$(meter 'oac_deliveries_total\{path="passive"'); push0=$(meter 'oac_deliveries_total\{path="push"')
sends0=$(curl -s "http://127.0.0.1:$UP/stats" | python3 -c 'import json,sys; print(json.load(sys.stdin)["sends"])')
result=$(QUIET=1 "$LOAD/run-wrk.sh" $PORT "$DURATION" "$CONNECTIONS" | grep WRK_RESULT)
sleep 3
passive=$(( $(meter 'oac_deliveries_total\{path="passive"') - passive0 ))
push=$(( $(meter 'oac_deliveries_total\{path="push"') - push0 ))
sends=$(( $(curl -s "http://127.0.0.1:$UP/stats" | python3 -c 'import json,sys; print(json.load(sys.stdin)["sends"])') - sends0 ))
echo "$result"
echo "answers: passive=$passive push=$push (customer-service sends: $sends); passive share: $(python3 -c "print(f'{$passive/max(1,$passive+$push):.3f}')")"

#!/usr/bin/env bash
# End-to-end benchmark on loopback: the packaged jar against a fake WeChat and an instant fake model (WireMock).
# Usage: bench/run.sh [MESSAGES] [CONCURRENCY]    (defaults 500 and 4)
set -euo pipefail
cd "$(dirname "$0")/.."
MESSAGES=${1:-500}
CONCURRENCY=${2:-4}
WIREMOCK_PORT=18089
SERVICE_PORT=18080
mkdir -p target/bench

[ -f target/officialaccount-chatgpt.jar ] || mvn -B -q package -DskipTests
[ -f target/bench/wiremock-standalone.jar ] || mvn -B -q dependency:copy \
    -Dartifact=org.wiremock:wiremock-standalone:3.13.2 -DoutputDirectory=target/bench \
    -Dmdep.stripVersion=true

java -jar target/bench/wiremock-standalone.jar --port $WIREMOCK_PORT --root-dir bench/stubs \
    --disable-banner --async-response-enabled=true > target/bench/wiremock.log 2>&1 &
WIREMOCK=$!
WECHAT_TOKEN=benchtoken WECHAT_APP_ID=wxbench WECHAT_APP_SECRET=bench-secret OPENAI_API_KEY=sk-bench \
    WECHAT_API_BASE_URL=http://127.0.0.1:$WIREMOCK_PORT OPENAI_BASE_URL=http://127.0.0.1:$WIREMOCK_PORT/v1 \
    SERVER_PORT=$SERVICE_PORT java -Xmx512m -jar target/officialaccount-chatgpt.jar > target/bench/service.log 2>&1 &
SERVICE=$!
trap 'kill $SERVICE $WIREMOCK 2>/dev/null || true' EXIT

for _ in $(seq 1 120); do
    curl -fsS http://127.0.0.1:$SERVICE_PORT/actuator/health >/dev/null 2>&1 && break
    sleep 0.5
done
# warm-up (JIT, connection pools, token cache), then the measured run
python3 bench/e2e.py http://127.0.0.1:$SERVICE_PORT http://127.0.0.1:$WIREMOCK_PORT benchtoken 200 "$CONCURRENCY" >/dev/null
curl -fsS -X DELETE http://127.0.0.1:$WIREMOCK_PORT/__admin/requests >/dev/null
python3 bench/e2e.py http://127.0.0.1:$SERVICE_PORT http://127.0.0.1:$WIREMOCK_PORT benchtoken "$MESSAGES" "$CONCURRENCY"
echo "service RSS: $(ps -o rss= -p $SERVICE | awk '{printf "%.0f MiB", $1/1024}')"

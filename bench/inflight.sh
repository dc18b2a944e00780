#!/usr/bin/env bash
# Conversations in flight on one instance (issue 9), on loopback: bench/InFlight.java serves a fake model that takes
# MODEL_DELAY_MS to answer and a fake WeChat API, the packaged jar runs with -Xmx512m against them, and every follower
# asks one question at once. Warm-up: 200 followers with an instant model. Prints a markdown table.
# Usage: bench/inflight.sh [FOLLOWERS] [MODEL_DELAY_MS]    (defaults 2000 and 2000)
# Env: CONCURRENCY (64 callbacks at once), WARMUP (200), INFLIGHT_DEADLINE_S (900).
set -euo pipefail
cd "$(dirname "$0")/.."
FOLLOWERS=${1:-2000}
MODEL_DELAY_MS=${2:-2000}
CONCURRENCY=${CONCURRENCY:-64}
WARMUP=${WARMUP:-200}
DEADLINE_S=${INFLIGHT_DEADLINE_S:-900}
UPSTREAM_PORT=18090
SERVICE_PORT=18080
MANAGEMENT_PORT=18081

JAVA=java
[ -x /usr/lib/jvm/temurin-25-jdk-amd64/bin/java ] && JAVA=/usr/lib/jvm/temurin-25-jdk-amd64/bin/java
[ -f target/officialaccount-chatgpt.jar ] || mvn -B -q package -DskipTests

for port in $UPSTREAM_PORT $SERVICE_PORT $MANAGEMENT_PORT; do
    if (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then
        echo "port $port is already in use on 127.0.0.1 (another benchmark?); not starting" >&2
        exit 1
    fi
done

RUN=$(date +%Y%m%d-%H%M%S)-$$
DATA=$PWD/target/bench/inflight-$RUN        # the service's data dir (embedded Redis): fresh every run
SCRATCH=/tmp/inflight
mkdir -p "$DATA" "$SCRATCH"
SERVICE=
INFLIGHT=

stop() { # stop a process we started: TERM, up to $2 s, then KILL
    local pid=$1 wait_s=$2
    [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null || return 0
    kill "$pid" 2>/dev/null || true
    for _ in $(seq 1 $((wait_s * 5))); do kill -0 "$pid" 2>/dev/null || return 0; sleep 0.2; done
    kill -9 "$pid" 2>/dev/null || true
}
cleanup() {
    stop "$SERVICE" 45
    # the embedded redis-server the service started, should a killed service have left it behind
    if [ -f "$DATA/redis.pid" ]; then
        local redis
        redis=$(cat "$DATA/redis.pid")
        if [ -n "$redis" ] && grep -q redis-server "/proc/$redis/cmdline" 2>/dev/null; then stop "$redis" 10; fi
    fi
    stop "$INFLIGHT" 5
}
trap cleanup EXIT
trap 'exit 130' INT TERM

echo "in flight: $FOLLOWERS followers, model $MODEL_DELAY_MS ms, $($JAVA -version 2>&1 | head -1), logs in $DATA" >&2
# 1. the fakes (and the driver, which waits for the service's health before it sends anything)
"$JAVA" bench/InFlight.java --service http://127.0.0.1:$SERVICE_PORT --management http://127.0.0.1:$MANAGEMENT_PORT \
    --token benchtoken --port $UPSTREAM_PORT --followers "$FOLLOWERS" --model-delay-ms "$MODEL_DELAY_MS" \
    --concurrency "$CONCURRENCY" --warmup "$WARMUP" --warmup-delay-ms 0 --wait-health-s 180 \
    --deadline-s "$DEADLINE_S" --pid-file "$DATA/service.pid" --csv "$SCRATCH/samples-$RUN.csv" &
INFLIGHT=$!
for _ in $(seq 1 120); do # single-file compile: a few seconds on a busy machine
    (exec 3<>"/dev/tcp/127.0.0.1/$UPSTREAM_PORT") 2>/dev/null && break
    kill -0 $INFLIGHT 2>/dev/null || { echo "InFlight exited before serving" >&2; exit 1; }
    sleep 0.5
done

# 2. the service, pointed at the fakes
WECHAT_TOKEN=benchtoken WECHAT_APP_ID=wxbench WECHAT_APP_SECRET=bench-secret OPENAI_API_KEY=sk-bench \
    WECHAT_API_BASE_URL=http://127.0.0.1:$UPSTREAM_PORT OPENAI_BASE_URL=http://127.0.0.1:$UPSTREAM_PORT/v1 \
    SERVER_PORT=$SERVICE_PORT MANAGEMENT_SERVER_PORT=$MANAGEMENT_PORT CHAT_DATA_DIR="$DATA" \
    CHAT_RATE_LIMIT_PER_MINUTE=0 WECHAT_DELIVERY=push \
    "$JAVA" -Xmx512m -jar target/officialaccount-chatgpt.jar > "$DATA/service.log" 2>&1 &
SERVICE=$!
echo $SERVICE > "$DATA/service.pid"

# 3. InFlight waits for health, warms up, measures, prints the table and exits (always 0)
wait $INFLIGHT || true
INFLIGHT=
if grep -qE ' (ERROR|WARN) ' "$DATA/service.log"; then
    echo "service log: $(grep -cE ' (ERROR|WARN) ' "$DATA/service.log") WARN/ERROR lines in $DATA/service.log" >&2
fi
echo "samples (every 500 ms): $SCRATCH/samples-$RUN.csv" >&2

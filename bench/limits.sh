#!/usr/bin/env bash
# Issue 22: what the provider limits shared through Redis cost, with a limit far above the load (so nothing waits):
#  1. Redis per answer: the same jar against a Redis server of its own, limits off and on, MESSAGES questions each
#     after a warm-up; Redis's own command statistics (INFO commandstats, reset after the warm-up) give the commands
#     and the server's microseconds per answer.
#  2. Answered/s and CPU per answer: the shared harness (../shared/bench/load/compare.py --e2e), limits off and on,
#     interleaved rounds.
# Usage: bench/limits.sh [MESSAGES] [ROUNDS]      (defaults 2000 and 3). Loopback only; bounded in time.
set -euo pipefail
cd "$(dirname "$0")/.."
MESSAGES=${1:-2000}
ROUNDS=${2:-3}
JAVA25=/usr/lib/jvm/temurin-25-jdk-amd64/bin/java
JAVA=${JAVA:-$([ -x $JAVA25 ] && echo $JAVA25 || echo java)}
WIREMOCK_PORT=18089
SERVICE_PORT=18080
REDIS_PORT=18379
ON="CHAT_MODEL_LIMITS_REQUESTS_PER_MINUTE=100000000 CHAT_MODEL_LIMITS_TOKENS_PER_MINUTE=1000000000"
OUT=bench/results/limits.md
mkdir -p target/bench bench/results
command -v redis-server >/dev/null || { apt-get update && apt-get install -y redis-server; }
command -v wrk >/dev/null || { apt-get update && apt-get install -y wrk; }
[ -f target/officialaccount-chatgpt.jar ] || mvn -B -q package -DskipTests
[ -f target/bench/wiremock-standalone.jar ] || mvn -B -q dependency:copy \
    -Dartifact=org.wiremock:wiremock-standalone:3.13.2 -DoutputDirectory=target/bench -Dmdep.stripVersion=true

PIDS=()
trap 'kill "${PIDS[@]}" 2>/dev/null || true' EXIT
$JAVA -jar target/bench/wiremock-standalone.jar --port $WIREMOCK_PORT --root-dir bench/stubs --disable-banner \
    --async-response-enabled=true > target/bench/wiremock.log 2>&1 &
PIDS+=($!)

# one mode: commands and Redis microseconds per answer
redis_cost() {
    local mode=$1 settings=$2
    redis-server --port $REDIS_PORT --bind 127.0.0.1 --save '' --appendonly no > target/bench/redis-$mode.log 2>&1 &
    local redis=$!
    env $settings WECHAT_TOKEN=benchtoken WECHAT_APP_ID=wxbench WECHAT_APP_SECRET=bench-secret OPENAI_API_KEY=sk-bench \
        WECHAT_API_BASE_URL=http://127.0.0.1:$WIREMOCK_PORT OPENAI_BASE_URL=http://127.0.0.1:$WIREMOCK_PORT/v1 \
        REDIS_URL=redis://127.0.0.1:$REDIS_PORT CHAT_RATE_LIMIT_PER_MINUTE=0 WECHAT_DELIVERY=push \
        SERVER_PORT=$SERVICE_PORT $JAVA -Xmx512m -jar target/officialaccount-chatgpt.jar \
        > target/bench/service-limits-$mode.log 2>&1 &
    local service=$!
    for _ in $(seq 1 120); do
        curl -fsS http://127.0.0.1:$SERVICE_PORT/actuator/health >/dev/null 2>&1 && break
        sleep 0.5
    done
    python3 bench/e2e.py http://127.0.0.1:$SERVICE_PORT http://127.0.0.1:$WIREMOCK_PORT benchtoken 300 16 >/dev/null
    sleep 2
    redis-cli -p $REDIS_PORT CONFIG RESETSTAT >/dev/null
    python3 bench/e2e.py http://127.0.0.1:$SERVICE_PORT http://127.0.0.1:$WIREMOCK_PORT benchtoken "$MESSAGES" 16 \
        > target/bench/e2e-limits-$mode.txt
    sleep 2
    redis-cli -p $REDIS_PORT INFO commandstats > target/bench/commandstats-$mode.txt
    kill $service; wait $service 2>/dev/null || true
    redis-cli -p $REDIS_PORT shutdown nosave >/dev/null 2>&1 || kill $redis
    wait $redis 2>/dev/null || true
    # cmdstat_<command>:calls=...,usec=...: a script's own commands count under their names too, and its time under
    # evalsha as well as under them; so the scripts (evalsha) alone, and every command, inner ones included
    awk -F'[:,=]' -v n="$MESSAGES" -v mode="$mode" '/^cmdstat_evalsha/ { scripts += $3; scriptUsec += $5 }
        /^cmdstat_/ && !/^cmdstat_eval/ && !/^cmdstat_config/ { calls += $3 }
        END { printf "| %s | %.2f | %.1f | %.2f |\n", mode, scripts / n, scriptUsec / n, calls / n }' \
        target/bench/commandstats-$mode.txt
}

{
    echo "# Provider limits: what they cost (bench/limits.sh, $(date -u +%Y-%m-%d))"
    echo
    echo "Limits far above the load: nothing waits. $MESSAGES questions after a 300-question warm-up, 16 at once."
    echo
    echo "| Limits | Scripts per answer | Their Redis µs per answer | Commands per answer (inner ones too) |"
    echo "|---|---|---|---|"
    redis_cost off ""
    redis_cost on "$ON"
    echo
    echo "Redis's own figures (INFO commandstats, reset after the warm-up): everything the service asked while the measured"
    echo "questions were answered, lease renewals and recovery passes included, divided by the questions. Scripts are"
    echo "EVALSHA calls and the server time they took; the last column counts every command, those inside scripts too."
} > $OUT.part
kill "${PIDS[@]}" 2>/dev/null || true
PIDS=()

service() { echo "env WECHAT_DELIVERY=push CHAT_RATE_LIMIT_PER_MINUTE=0 CHAT_DATA_DIR=$(mktemp -d) $* $JAVA -Xmx512m -jar"; }
MANAGEMENT_SERVER_PORT=0 python3 ../shared/bench/load/compare.py --e2e 28700 --rounds "$ROUNDS" --startups 1 \
    --model-delay-ms 0 --drain-limit 90 --out bench/results/e2e-limits-0ms.md \
    --target "limits-off=$(service) target/officialaccount-chatgpt.jar" \
    --target "limits-on=$(service $ON) target/officialaccount-chatgpt.jar"
{ cat $OUT.part; echo; echo "Answered/s and CPU per answer: [e2e-limits-0ms.md](e2e-limits-0ms.md)."; } > $OUT
rm -f $OUT.part
cat $OUT

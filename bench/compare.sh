#!/usr/bin/env bash
# Side by side with the WxJava bot (../shared/bench): the same wrk load (2 threads, 32 connections, a new follower
# and signed nonce per request) against this service and the bot, a fast fake model and WeChat API, answers counted
# where they arrive. One report per model latency under bench/results/.
# Usage: bench/compare.sh [MODEL_DELAY_MS ...]        (default: 0 200 2000)
#        BEFORE=path/to/older.jar bench/compare.sh     adds an older build of this service as a target
#        FLOOR=0 bench/compare.sh                      leaves out the design's floor (../shared/bench/camel-floor-e2e)
# Needs wrk (installed from Debian when missing). Loopback only; every run is bounded in time.
set -euo pipefail
cd "$(dirname "$0")/.."
JAVA25=/usr/lib/jvm/temurin-25-jdk-amd64/bin/java
JAVA=${JAVA:-$([ -x $JAVA25 ] && echo $JAVA25 || echo java)}
command -v wrk >/dev/null || { apt-get update && apt-get install -y wrk; }
[ -f target/officialaccount-chatgpt.jar ] || mvn -B -q package -DskipTests
# shared/ is read-only: the bot is built from a copy
PEER=target/peer-wxjava/target/peer-wxjava.jar
if [ ! -f $PEER ]; then
    rm -rf target/peer-wxjava && cp -r ../shared/bench/peer-wxjava target/peer-wxjava && chmod -R u+w target/peer-wxjava
    (cd target/peer-wxjava && mvn -q -B -DskipTests package)
fi
# the floor: the least a durable Camel YAML bridge does per question on this stack, with a Redis of its own
FLOOR_JAR=target/camel-floor-e2e/target/camel-floor-e2e.jar
if [ "${FLOOR:-1}" = 1 ] && [ ! -f $FLOOR_JAR ]; then
    rm -rf target/camel-floor-e2e && cp -r ../shared/bench/camel-floor-e2e target/camel-floor-e2e \
        && chmod -R u+w target/camel-floor-e2e
    (cd target/camel-floor-e2e && mvn -q -B -DskipTests package)
fi
FLOOR_REDIS_PORT=6392
floor_redis() {
    local bin
    bin=$(command -v redis-server || true)
    if [ -z "$bin" ]; then   # the 6.2 binary the service's embedded Redis ships
        bin=target/bench-redis-server
        [ -x $bin ] || { unzip -p target/officialaccount-chatgpt.jar 'BOOT-INF/lib/embedded-redis-*.jar' > target/embedded-redis.jar \
            && unzip -p target/embedded-redis.jar redis-server-6.2.6-v5-linux-amd64 > $bin && chmod +x $bin; }
    fi
    $bin --port $FLOOR_REDIS_PORT --bind 127.0.0.1 --save "" --appendonly no --daemonize yes \
        --pidfile "$PWD/target/bench-redis.pid" >/dev/null
    trap 'kill $(cat target/bench-redis.pid) 2>/dev/null || true' EXIT
}
mkdir -p bench/results
# the harness counts answers where customer-service messages arrive, so this service pushes them (not inside the
# callback's reply), and drops inherited WECHAT_* variables: set through env; each build gets its own data dir
# (embedded Redis), as two instances never share one
service() { echo "env WECHAT_DELIVERY=push CHAT_DATA_DIR=$(mktemp -d) $JAVA -Xmx512m -jar $1"; }
targets=(--target "project=$(service target/officialaccount-chatgpt.jar)"
         --target "peer=$JAVA -Xmx512m -jar $PEER")
[ -n "${BEFORE:-}" ] && targets+=(--target "before=$(service "$BEFORE")")
if [ "${FLOOR:-1}" = 1 ]; then
    floor_redis
    targets+=(--target "floor=env REDIS_URL=redis://127.0.0.1:$FLOOR_REDIS_PORT/0 $JAVA -Xmx512m -Dcamel.threads.virtual.enabled=true -jar $FLOOR_JAR --floor.token=harness-access-token-3f9a7c1e5b")
fi
for delay in "${@:-0 200 2000}"; do
    for d in $delay; do
        # and a free management port
        MANAGEMENT_SERVER_PORT=0 \
        python3 ../shared/bench/load/compare.py --e2e 28700 --rounds 2 --startups 1 --model-delay-ms "$d" \
            --drain-limit "${DRAIN_LIMIT:-300}" --out "bench/results/e2e-${d}ms.md" "${targets[@]}"
    done
done

#!/usr/bin/env bash
# The same service on a single Redis server and on Sentinel, side by side in one compare.py run (../shared/bench):
# Debian's redis-server and redis-sentinel on loopback (a standalone server; a primary, two replicas and three
# sentinels), chat.redis.replica-acks at its default (all on Sentinel: every admission, decision, sent part and
# finished message waits for both replicas). Instant model, 30 s warm-up, 20 s measured, push delivery.
# Usage: bench/sentinel.sh [OUT.md]          (default bench/results/e2e-sentinel-0ms.md)
# Needs wrk (compare.sh installs it), redis-server and redis-sentinel. Everything it starts is stopped at exit.
set -euo pipefail
cd "$(dirname "$0")/.."
JAVA25=/usr/lib/jvm/temurin-25-jdk-amd64/bin/java
JAVA=${JAVA:-$([ -x $JAVA25 ] && echo $JAVA25 || echo java)}
OUT=${1:-bench/results/e2e-sentinel-0ms.md}
[ -f target/officialaccount-chatgpt.jar ] || mvn -B -q package -DskipTests
dir=$(mktemp -d /tmp/oac-sentinel-bench.XXXXXX)
pids=()
stop() { for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done; wait 2>/dev/null || true; rm -rf "$dir"; }
trap stop EXIT
redis() { # port, more arguments
    local port=$1; shift
    redis-server --port "$port" --bind 127.0.0.1 --save "" --appendonly no --repl-diskless-sync-delay 0 --dir "$dir" "$@" > "$dir/redis-$port.log" 2>&1 &
    pids+=($!)
}
redis 6407                                              # the single server
redis 6404                                              # the primary
redis 6405 --replicaof 127.0.0.1 6404
redis 6406 --replicaof 127.0.0.1 6404
for port in 26401 26402 26403; do
    printf 'port %s\nbind 127.0.0.1\ndir %s\nsentinel monitor oac 127.0.0.1 6404 2\nsentinel down-after-milliseconds oac 5000\n' \
        "$port" "$dir" > "$dir/sentinel-$port.conf"
    redis-sentinel "$dir/sentinel-$port.conf" > "$dir/sentinel-$port.log" 2>&1 &
    pids+=($!)
done
for _ in $(seq 1 300); do # both replicas in sync and known to every sentinel (its INFO comes every 10 s)
    ready=1
    for port in 26401 26402 26403; do
        [ "$(redis-cli -p "$port" sentinel replicas oac 2>/dev/null | grep -c '^name$')" = 2 ] || ready=0
    done
    [ "$(redis-cli -p 6404 info replication | grep -c 'state=online')" = 2 ] || ready=0
    [ $ready = 1 ] && break
    sleep 0.2
done
[ $ready = 1 ] || { echo "Sentinel did not come up: see $dir" >&2; exit 1; }
command -v wrk >/dev/null || { apt-get update && apt-get install -y wrk; }
MANAGEMENT_SERVER_PORT=0 python3 ../shared/bench/load/compare.py --e2e 28700 --rounds 1 --startups 1 \
    --warmup 30s --duration 20s --model-delay-ms 0 --out "$OUT" \
    --target "standalone=env WECHAT_DELIVERY=push REDIS_URL=redis://127.0.0.1:6407 $JAVA -Xmx512m -jar target/officialaccount-chatgpt.jar" \
    --target "sentinel=env WECHAT_DELIVERY=push SPRING_DATA_REDIS_SENTINEL_MASTER=oac SPRING_DATA_REDIS_SENTINEL_NODES=127.0.0.1:26401,127.0.0.1:26402,127.0.0.1:26403 $JAVA -Xmx512m -jar target/officialaccount-chatgpt.jar"

#!/bin/sh
# A sentinel of the HA profile (docker-compose.yml, --profile ha), watching the primary as "oac" with two others
# (quorum 2). A primary unanswered for 5 s is down; names, not addresses, so a restarted container is found again.
#   ANNOUNCE  this sentinel's name on the compose network   PRIMARY  the first primary's name
#   REDIS_PASSWORD  the nodes' and the sentinels' password (empty: none)
# The sentinel rewrites its file as the roles change: it lives in the container's /data volume.
set -eu
config=/data/sentinel.conf
if [ ! -s "$config" ]; then
  {
    echo "port 26379"
    echo "sentinel resolve-hostnames yes"
    echo "sentinel announce-hostnames yes"
    echo "sentinel announce-ip $ANNOUNCE"
    echo "sentinel monitor oac $PRIMARY 6379 2"
    echo "sentinel down-after-milliseconds oac 5000"
    echo "sentinel failover-timeout oac 30000"
    echo "sentinel parallel-syncs oac 1"
    if [ -n "${REDIS_PASSWORD:-}" ]; then
      echo "sentinel auth-pass oac $REDIS_PASSWORD"   # to the nodes
      echo "requirepass $REDIS_PASSWORD"              # clients of this sentinel (the service) ...
      echo "sentinel sentinel-pass $REDIS_PASSWORD"   # ... and the other sentinels
    fi
  } > "$config"
fi
exec redis-sentinel "$config"

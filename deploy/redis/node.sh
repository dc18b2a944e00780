#!/bin/sh
# A Redis node of the HA profile (docker-compose.yml, --profile ha): the primary at first, or a replica of it.
# Sentinels move the roles after that; the append-only file keeps what a node had across its restarts.
#   ANNOUNCE  this node's name on the compose network (what sentinels and the service connect to)
#   PRIMARY   the first primary's name; empty on the primary itself
#   REDIS_PASSWORD  the password of every node and sentinel (empty: none, only on a closed network)
set -eu
set -- redis-server --port 6379 --appendonly yes --appendfsync everysec --save "" \
    --replica-announce-ip "$ANNOUNCE"
if [ -n "${REDIS_PASSWORD:-}" ]; then
  set -- "$@" --requirepass "$REDIS_PASSWORD" --masterauth "$REDIS_PASSWORD"
fi
# a node started again after a failover rejoins as the sentinels say, whatever PRIMARY was at first
if [ -n "${PRIMARY:-}" ]; then
  set -- "$@" --replicaof "$PRIMARY" 6379
fi
exec "$@"

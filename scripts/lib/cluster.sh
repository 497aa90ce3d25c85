# A local Redis Cluster for FlashSale: sourced by scripts/services.sh ("cluster up|down|status").
#
#   FLASHSALE_CLUSTER_PORT      first node's port (7001); node i listens on PORT+i-1 and its cluster bus on +10000,
#                               so both stay below the ephemeral port range (32768 and up)
#   FLASHSALE_CLUSTER_MASTERS   primaries (3)
#   FLASHSALE_CLUSTER_REPLICAS  replicas per primary (0 or 1; 0 by default)
#
# Every node keeps its append-only file fsynced before each answer (as the single Redis does, see
# docs/ARCHITECTURE.md), its nodes.conf and its log in $STATE_DIR/cluster/<port>. The cluster is formed once with
# redis-cli --cluster create; a later "up" restarts stopped nodes, which find each other again through nodes.conf.
# It expects log, die, port_in_use and ensure_installed from services.sh.

CLUSTER_PORT="${FLASHSALE_CLUSTER_PORT:-7001}"
CLUSTER_MASTERS="${FLASHSALE_CLUSTER_MASTERS:-3}"
CLUSTER_REPLICAS="${FLASHSALE_CLUSTER_REPLICAS:-0}"
CLUSTER_DIR="$STATE_DIR/cluster"

cluster_ports() {
  local count=$((CLUSTER_MASTERS * (1 + CLUSTER_REPLICAS))) i
  for ((i = 0; i < count; i++)); do echo $((CLUSTER_PORT + i)); done
}

# The seed list for ConnectionStrings:Redis: every node, so a client finds the cluster while any one of them is up.
cluster_seeds() {
  local seeds="" port
  for port in $(cluster_ports); do seeds="${seeds:+$seeds,}127.0.0.1:$port"; done
  echo "$seeds"
}

cluster_node_running() {
  local pidfile="$CLUSTER_DIR/$1/redis.pid"
  [ -f "$pidfile" ] && kill -0 "$(cat "$pidfile")" 2>/dev/null
}

cluster_check_ports() {
  local port
  [ "$((CLUSTER_PORT + 10000 + CLUSTER_MASTERS * (1 + CLUSTER_REPLICAS)))" -lt 32768 ] \
    || die "cluster ports from $CLUSTER_PORT (bus ports +10000) must stay below 22768 (FLASHSALE_CLUSTER_PORT)"
  case "$CLUSTER_REPLICAS" in 0|1) ;; *) die "FLASHSALE_CLUSTER_REPLICAS must be 0 or 1" ;; esac
  [ "$CLUSTER_MASTERS" -ge 3 ] || die "Redis Cluster needs at least 3 primaries (FLASHSALE_CLUSTER_MASTERS)"
}

cluster_node_start() {
  local port="$1" dir="$CLUSTER_DIR/$1"
  if cluster_node_running "$port"; then return 0; fi
  port_in_use "$port" && die "127.0.0.1:$port is taken by another process; stop it or set FLASHSALE_CLUSTER_PORT"
  port_in_use "$((port + 10000))" && die "127.0.0.1:$((port + 10000)) (cluster bus of $port) is taken; set FLASHSALE_CLUSTER_PORT"
  mkdir -p "$dir"
  # cluster-node-timeout 2 s: a dead primary is failed over within a few seconds (the default, 15 s, is for WANs).
  # FLASHSALE_CLUSTER_NODE_TIMEOUT_MS overrides it: without replicas there is nothing to fail over to, and a short
  # timeout only lets a node stalled on a busy machine (an fsync, a starved CPU) be marked failed, which takes the
  # whole cluster down (CLUSTERDOWN) until it is seen again.
  redis-server --port "$port" --bind 127.0.0.1 --daemonize yes --dir "$dir" \
    --pidfile "$dir/redis.pid" --logfile "$dir/redis.log" --appendonly yes --appendfsync always \
    --save '' --maxclients 10000 --cluster-enabled yes --cluster-config-file nodes.conf \
    --cluster-node-timeout "${FLASHSALE_CLUSTER_NODE_TIMEOUT_MS:-2000}" >/dev/null
}

cluster_wait_ready() {
  local port="$1" deadline=$((SECONDS + ${FLASHSALE_REDIS_START_TIMEOUT:-300}))
  while [ "$SECONDS" -lt "$deadline" ]; do
    [ "$(redis-cli -h 127.0.0.1 -p "$port" ping 2>/dev/null || true)" = "PONG" ] && return 0
    cluster_node_running "$port" || { sleep 0.2; cluster_node_running "$port" || { tail -n 20 "$CLUSTER_DIR/$port/redis.log" >&2; die "cluster node $port exited while starting"; }; }
    sleep 0.1
  done
  die "cluster node $port did not answer PING"
}

cluster_state() {
  redis-cli -h 127.0.0.1 -p "$1" cluster info 2>/dev/null | tr -d '\r' | sed -n 's/^cluster_state://p'
}

cluster_known_nodes() {
  redis-cli -h 127.0.0.1 -p "$1" cluster info 2>/dev/null | tr -d '\r' | sed -n 's/^cluster_known_nodes://p'
}

# True for a primary, and for a replica whose link to its primary is up (its first sync is done).
cluster_replica_synced() {
  local info
  info="$(redis-cli -h 127.0.0.1 -p "$1" info replication 2>/dev/null | tr -d '\r')"
  grep -q '^role:master' <<<"$info" || grep -q '^master_link_status:up' <<<"$info"
}

cluster_up() {
  cluster_check_ports
  ensure_installed
  local port ports=() count
  for port in $(cluster_ports); do ports+=("127.0.0.1:$port"); cluster_node_start "$port"; done
  for port in $(cluster_ports); do cluster_wait_ready "$port"; done
  count=${#ports[@]}
  if [ "$(cluster_known_nodes "$CLUSTER_PORT")" = "1" ]; then
    log "forming a cluster of $CLUSTER_MASTERS primaries, $CLUSTER_REPLICAS replica(s) each, on ${ports[*]}"
    redis-cli --cluster create "${ports[@]}" --cluster-replicas "$CLUSTER_REPLICAS" --cluster-yes >"$CLUSTER_DIR/create.log" 2>&1 \
      || { cat "$CLUSTER_DIR/create.log" >&2; die "redis-cli --cluster create failed"; }
  else
    log "cluster nodes on ${ports[*]} already formed"
  fi
  # Every node must see every slot served (cluster_state:ok) and know all $count nodes before a client connects.
  local deadline=$((SECONDS + 60)) ready
  while :; do
    ready=1
    for port in $(cluster_ports); do
      [ "$(cluster_state "$port")" = "ok" ] && [ "$(cluster_known_nodes "$port")" = "$count" ] || { ready=""; break; }
    done
    [ -n "$ready" ] && break
    [ "$SECONDS" -lt "$deadline" ] || die "the cluster did not reach cluster_state:ok within 60 s (see $CLUSTER_DIR/*/redis.log)"
    sleep 0.2
  done
  # A replica that has never finished its first sync refuses to take over ("disconnected from master for longer than
  # allowed"): until every replica's link is up, losing a primary would stop its sales instead of failing over.
  while :; do
    ready=1
    for port in $(cluster_ports); do
      cluster_replica_synced "$port" || { ready=""; break; }
    done
    [ -n "$ready" ] && break
    [ "$SECONDS" -lt "$deadline" ] || die "the cluster's replicas did not finish their first sync within 60 s (see $CLUSTER_DIR/*/redis.log)"
    sleep 0.2
  done
  cluster_status
}

cluster_down() {
  local port
  for port in $(cluster_ports); do
    if cluster_node_running "$port"; then
      log "stopping cluster node $port"
      redis-cli -h 127.0.0.1 -p "$port" shutdown >/dev/null 2>&1 || kill "$(cat "$CLUSTER_DIR/$port/redis.pid")" 2>/dev/null || true
    fi
  done
  for port in $(cluster_ports); do
    local i; for i in $(seq 1 100); do cluster_node_running "$port" || break; sleep 0.05; done
  done
  cluster_status
}

cluster_status() {
  local port running=0 role
  for port in $(cluster_ports); do
    if cluster_node_running "$port"; then
      running=$((running + 1))
      role="$(redis-cli -h 127.0.0.1 -p "$port" role 2>/dev/null | head -n 1)"
      echo "redis cluster node 127.0.0.1:$port: running ($role, pid $(cat "$CLUSTER_DIR/$port/redis.pid"))"
    else
      echo "redis cluster node 127.0.0.1:$port: stopped"
    fi
  done
  if [ "$running" -gt 0 ]; then
    echo "redis cluster: state $(cluster_state "$CLUSTER_PORT" || echo unknown); ConnectionStrings__Redis=$(cluster_seeds)"
  fi
}

cluster_main() {
  case "${1:-}" in
    up) cluster_up ;;
    down) cluster_down ;;
    status) cluster_status ;;
    seeds) cluster_seeds ;;
    *) echo "usage: services.sh cluster up|down|status|seeds" >&2; exit 2 ;;
  esac
}

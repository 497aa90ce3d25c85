#!/usr/bin/env bash
# Local PostgreSQL 15 and Redis 7 for FlashSale, without Docker.
#
#   scripts/services.sh up [postgres|redis]    install what is missing, start both (or one), create role and database "flashsale"
#   scripts/services.sh down [postgres|redis]  stop what "up" started (and nothing else)
#   scripts/services.sh status                 say what runs
#   scripts/services.sh cluster up|down|status a local Redis Cluster instead (scripts/lib/cluster.sh)
#   scripts/services.sh observe up|down|status a local Prometheus with FlashSale's rules (scripts/lib/observe.sh)
#
# Both listen on 127.0.0.1 only (PostgreSQL 5432, Redis 6379; override with FLASHSALE_PG_PORT and
# FLASHSALE_REDIS_PORT). Their data lives in FLASHSALE_STATE_DIR (default /var/tmp/flashsale), so a
# second "up" finds them running and changes nothing. Redis asks for a password, FLASHSALE_REDIS_PASSWORD (the
# development default is in scripts/lib/redis-auth.sh); a Redis started before it had one keeps running without.
set -euo pipefail
# shellcheck source=lib/redis-auth.sh
. "$(dirname "$0")/lib/redis-auth.sh"

STATE_DIR="${FLASHSALE_STATE_DIR:-/var/tmp/flashsale}"
PG_PORT="${FLASHSALE_PG_PORT:-5432}"
REDIS_PORT="${FLASHSALE_REDIS_PORT:-6379}"
PG_DATA="$STATE_DIR/pg"
PG_LOG="$STATE_DIR/pg.log"
REDIS_DIR="$STATE_DIR/redis"
REDIS_PID="$STATE_DIR/redis.pid"
REDIS_LOG="$STATE_DIR/redis.log"
DB_USER="flashsale"
DB_PASSWORD="${FLASHSALE_DB_PASSWORD:-flashsale}"
DB_NAME="flashsale"

log() { printf '[services] %s\n' "$*" >&2; }
die() { printf '[services] error: %s\n' "$*" >&2; exit 1; }

pg_bin_dir() {
  local dir
  for dir in /usr/lib/postgresql/15/bin /usr/lib/postgresql/*/bin; do
    if [ -x "$dir/initdb" ]; then echo "$dir"; return 0; fi
  done
  return 1
}

apt_install() {
  [ "$(id -u)" -eq 0 ] || die "'$*' is missing and installing it needs root (apt-get install -y $*)"
  # Package lists are refreshed once per run of this script (not remembered in the state dir: a machine whose
  # state dir survived may still have stale or no lists).
  if [ -z "${APT_UPDATED:-}" ]; then
    log "apt-get update"
    DEBIAN_FRONTEND=noninteractive apt-get update -q >/dev/null
    APT_UPDATED=1
  fi
  log "apt-get install -y $*"
  # policy-rc.d exit 101 keeps the packages from starting their own system services.
  local policy=/usr/sbin/policy-rc.d created=0
  if [ ! -e "$policy" ]; then printf '#!/bin/sh\nexit 101\n' >"$policy"; chmod +x "$policy"; created=1; fi
  DEBIAN_FRONTEND=noninteractive apt-get install -y -q "$@" >/dev/null
  if [ "$created" -eq 1 ]; then rm -f "$policy"; fi
}

# Runs a PostgreSQL binary as the "postgres" user when we are root (initdb refuses root), else as ourselves.
as_pg() {
  if [ "$(id -u)" -eq 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}

ensure_installed() {
  mkdir -p "$STATE_DIR"
  pg_bin_dir >/dev/null || apt_install postgresql-15
  command -v redis-server >/dev/null && command -v redis-cli >/dev/null || apt_install redis-server
}

pg_running() {
  local bin; bin="$(pg_bin_dir)" || return 1
  [ -f "$PG_DATA/PG_VERSION" ] && as_pg "$bin/pg_ctl" -D "$PG_DATA" status >/dev/null 2>&1
}

redis_running() {
  [ -f "$REDIS_PID" ] && kill -0 "$(cat "$REDIS_PID")" 2>/dev/null
}

port_in_use() {
  (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null
}

pg_up() {
  local bin; bin="$(pg_bin_dir)"
  if pg_running; then log "PostgreSQL already running on 127.0.0.1:$PG_PORT"; else
    if [ ! -f "$PG_DATA/PG_VERSION" ]; then
      log "initdb $PG_DATA"
      mkdir -p "$PG_DATA"
      [ "$(id -u)" -eq 0 ] && chown -R postgres:postgres "$STATE_DIR" && chmod 755 "$STATE_DIR"
      chmod 700 "$PG_DATA"
      as_pg "$bin/initdb" -D "$PG_DATA" -U postgres --auth-local=trust --auth-host=scram-sha-256 \
        -E UTF8 --locale=C.UTF-8 >/dev/null
    fi
    port_in_use "$PG_PORT" && die "127.0.0.1:$PG_PORT is taken by another process; stop it or set FLASHSALE_PG_PORT"
    [ "$(id -u)" -eq 0 ] && touch "$PG_LOG" && chown postgres:postgres "$PG_LOG"
    log "starting PostgreSQL on 127.0.0.1:$PG_PORT"
    as_pg "$bin/pg_ctl" -D "$PG_DATA" -l "$PG_LOG" -w -t 300 \
      -o "-c listen_addresses=127.0.0.1 -c port=$PG_PORT -c unix_socket_directories=$PG_DATA -c max_connections=300" \
      start >/dev/null || { tail -n 20 "$PG_LOG" >&2; die "PostgreSQL did not start"; }
  fi
  # Role and database, created only when missing.
  local psql=(as_pg "$bin/psql" -h "$PG_DATA" -p "$PG_PORT" -U postgres -d postgres -v ON_ERROR_STOP=1 -qtA)
  if [ "$("${psql[@]}" -c "select 1 from pg_roles where rolname='$DB_USER'")" != "1" ]; then
    log "creating role $DB_USER"
    "${psql[@]}" -c "create role $DB_USER login createdb password '$DB_PASSWORD'" >/dev/null
  fi
  if [ "$("${psql[@]}" -c "select 1 from pg_database where datname='$DB_NAME'")" != "1" ]; then
    log "creating database $DB_NAME"
    "${psql[@]}" -c "create database $DB_NAME owner $DB_USER" >/dev/null
  fi
}

redis_up() {
  if redis_running; then
    log "Redis already running on 127.0.0.1:$REDIS_PORT"
  else
    port_in_use "$REDIS_PORT" && die "127.0.0.1:$REDIS_PORT is taken by another process; stop it or set FLASHSALE_REDIS_PORT"
    mkdir -p "$REDIS_DIR"
    # appendfsync always: Redis answers a purchase batch's Lua call only once the batch is on disk, so a Redis crash
    # cannot forget stock decrements or idempotency outcomes whose orders PostgreSQL already holds (see
    # docs/ARCHITECTURE.md). The fsync is shared by every command of an event-loop turn, i.e. paid per batch.
    # The password goes in a file only the owner reads, not on the command line where `ps` shows it.
    local conf="$REDIS_DIR/redis.conf"
    (umask 077; printf 'requirepass "%s"\n' "$FLASHSALE_REDIS_PASSWORD" >"$conf")
    log "starting Redis on 127.0.0.1:$REDIS_PORT (password, append-only file, fsync before every answer)"
    redis-server "$conf" --port "$REDIS_PORT" --bind 127.0.0.1 --daemonize yes --dir "$REDIS_DIR" \
      --pidfile "$REDIS_PID" --logfile "$REDIS_LOG" --appendonly yes --appendfsync always \
      --save '' --maxclients 10000 >/dev/null
  fi
  redis_wait_ready
}

# A Redis that restarts over a large append-only file answers "LOADING" for as long as it replays it (seconds
# per GB), so readiness is PONG, not an open port; give up only when the server died or after the timeout.
redis_wait_ready() {
  local deadline=$((SECONDS + ${FLASHSALE_REDIS_START_TIMEOUT:-300})) answer announced=""
  while [ "$SECONDS" -lt "$deadline" ]; do
    answer="$(redis_cli 127.0.0.1 "$REDIS_PORT" ping 2>&1 || true)"
    case "$answer" in
      PONG) return 0 ;;
      *LOADING*) [ -n "$announced" ] || { log "Redis is loading its data set; waiting"; announced=1; } ;;
    esac
    if ! redis_running; then sleep 0.2; redis_running || { tail -n 20 "$REDIS_LOG" >&2; die "Redis exited while starting"; }; fi
    sleep 0.1
  done
  tail -n 20 "$REDIS_LOG" >&2; die "Redis did not answer PING within ${FLASHSALE_REDIS_START_TIMEOUT:-300} s"
}

pg_down() {
  local bin; bin="$(pg_bin_dir)" || return 0
  if pg_running; then log "stopping PostgreSQL"; as_pg "$bin/pg_ctl" -D "$PG_DATA" -m fast -w stop >/dev/null; fi
}

redis_down() {
  if redis_running; then
    log "stopping Redis"
    redis_cli 127.0.0.1 "$REDIS_PORT" shutdown >/dev/null 2>&1 || kill "$(cat "$REDIS_PID")"
    local i; for i in $(seq 1 100); do redis_running || break; sleep 0.05; done
  fi
}

status() {
  if pg_running; then echo "postgresql: running on 127.0.0.1:$PG_PORT (data $PG_DATA)"; else echo "postgresql: stopped"; fi
  if redis_running; then echo "redis: running on 127.0.0.1:$REDIS_PORT (pid $(cat "$REDIS_PID"))"; else echo "redis: stopped"; fi
}

# shellcheck source=lib/cluster.sh
. "$(dirname "$0")/lib/cluster.sh"

# shellcheck source=lib/observe.sh
. "$(dirname "$0")/lib/observe.sh"

if [ "${1:-}" = cluster ]; then
  shift; cluster_main "$@"; exit
fi
if [ "${1:-}" = observe ]; then
  shift; mkdir -p "$STATE_DIR"; observe_main "$@"; exit
fi
case "${1:-} ${2:-all}" in
  "up all") ensure_installed; pg_up; redis_up; status ;;
  "up postgres") ensure_installed; pg_up; status ;;
  "up redis") ensure_installed; redis_up; status ;;
  "down all") redis_down; pg_down; status ;;
  "down postgres") pg_down; status ;;
  "down redis") redis_down; status ;;
  "status all") status ;;
  *) echo "usage: $0 up|down [postgres|redis] | status | cluster up|down|status | observe up|down|status" >&2; exit 2 ;;
esac

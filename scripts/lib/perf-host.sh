# Sourced by scripts/perf-*.sh: builds this checkout, gives it a fresh flashsale_perf* database, starts its host on
# its own port and waits until it answers, so every measurement starts from the same place.
#
# The caller sets before `perf_start`:
#   tag       log prefix, e.g. "perf"
#   port, db  the host's port and database (db must start with flashsale_perf: it is dropped)
#   out       the run's output directory (host.log and shoppers.json go there)
#   host_dll  optional, another build of the host
#   host_env  optional array of NAME=value for the host process only (an A/B of a setting)
# and gets: target, host_pid (stopped on exit), load (the load tool's command) and common (its target options).
# PostgreSQL and Redis must be up (scripts/services.sh up, honouring FLASHSALE_PG_PORT / FLASHSALE_REDIS_PORT).

perf_start() {
  target="http://127.0.0.1:${port}"
  local pg_port="${FLASHSALE_PG_PORT:-5432}" pg_password="${FLASHSALE_DB_PASSWORD:-flashsale}"
  case "$db" in flashsale_perf*) ;; *) echo "[$tag] the database must be named flashsale_perf* (it is dropped): $db" >&2; exit 2 ;; esac
  # Never measure (or prepare shoppers on) somebody else's host that happens to hold the port.
  if ss -Hltn "( sport = :$port )" | grep -q .; then echo "[$tag] 127.0.0.1:$port is taken; choose another port" >&2; exit 2; fi

  export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1 ASPNETCORE_ENVIRONMENT=Development
  export ConnectionStrings__Postgres="Host=127.0.0.1;Port=${pg_port};Username=flashsale;Password=${pg_password};Database=${db};Maximum Pool Size=100"
  . "$(dirname "${BASH_SOURCE[0]}")/redis-auth.sh"
  export ConnectionStrings__Redis="127.0.0.1:${FLASHSALE_REDIS_PORT:-6379}$(redis_password_option 127.0.0.1 "${FLASHSALE_REDIS_PORT:-6379}")"
  # shellcheck source=perf-limits.sh
  . "$(dirname "${BASH_SOURCE[0]}")/perf-limits.sh"
  # A sales set and event channel of this database's own: two perf hosts on one Redis (an A/B, a run beside a test)
  # would otherwise reconcile each other's sales and hear each other's frames.
  export Redis__SalesSetKey="flashsale:${db}:sales" Realtime__Channel="flashsale:${db}:events"
  export Logging__LogLevel__Default=Warning
  mkdir -p "$out"

  echo "[$tag] building (Release)" >&2
  dotnet build FlashSale.Host -c Release -nologo -v quiet >/dev/null
  dotnet build FlashSale.Load -c Release -nologo -v quiet >/dev/null

  # The last run's sales go with its database: no host will see them end, so their Redis state (order streams,
  # idempotency hashes, lines of 10,000) would stay for good, and every AOF rewrite would copy it again (after a few
  # runs Redis held 200 MB and rewrote its AOF during a rush). Only this database's own sales set is read.
  local redis_port="${FLASHSALE_REDIS_PORT:-6379}" sale keys
  for sale in $(redis_cli 127.0.0.1 "$redis_port" smembers "$Redis__SalesSetKey" 2>/dev/null | tr -d '\r'); do
    mapfile -t keys < <(redis_cli 127.0.0.1 "$redis_port" --scan --pattern "{sale:${sale}}:*" 2>/dev/null)
    if [ "${#keys[@]}" -gt 0 ]; then redis_cli 127.0.0.1 "$redis_port" unlink "${keys[@]}" >/dev/null || true; fi
  done
  redis_cli 127.0.0.1 "$redis_port" unlink "$Redis__SalesSetKey" >/dev/null 2>&1 || true

  # A fresh database each time: figures must not depend on what earlier runs left (millions of orders make the
  # host's background work slower).
  PGPASSWORD="$pg_password" psql -h 127.0.0.1 -p "$pg_port" -U flashsale -d flashsale -q \
    -c "drop database if exists ${db} with (force)" -c "create database ${db}"
  local host=(dotnet "${host_dll:-FlashSale.Host/bin/Release/net10.0/FlashSale.Host.dll}")
  "${host[@]}" migrate >/dev/null
  "${host[@]}" seed >/dev/null

  : >"$out/host.log"
  trap 'kill "$host_pid" 2>/dev/null || true; wait "$host_pid" 2>/dev/null || true' EXIT
  perf_launch
  load=(dotnet FlashSale.Load/bin/Release/net10.0/FlashSale.Load.dll)
  common=(--target "$target" --shoppers-file "$out/shoppers.json")
}

# Creates N shoppers with tokens (the host's bulk endpoint) into the run's shoppers file.
perf_prepare() {
  "${load[@]}" prepare --users "$1" "${common[@]}" >"$out/prepare.log"
}

# Starts the host process (host_pid) and waits until it answers, at most 30 s.
perf_launch() {
  env ${host_env[@]+"${host_env[@]}"} dotnet "${host_dll:-FlashSale.Host/bin/Release/net10.0/FlashSale.Host.dll}" --urls "$target" >>"$out/host.log" 2>&1 &
  host_pid=$!
  for _ in $(seq 1 150); do
    curl -fsS "$target/health/live" >/dev/null 2>&1 && return 0
    kill -0 "$host_pid" 2>/dev/null || { echo "[$tag] host exited, see $out/host.log" >&2; exit 3; }
    sleep 0.2
  done
  echo "[$tag] host did not answer within 30 s" >&2; exit 3
}

# Stops the host and starts a new process of it on the same database: the next step meets a freshly started host.
perf_restart() {
  kill "$host_pid" 2>/dev/null || true
  wait "$host_pid" 2>/dev/null || true
  perf_launch
}

# Lets the host finish what the last step left behind (reconciling the Redis order streams into PostgreSQL,
# sweeping) before the next one starts: waits until it uses under 15 % of a core over 2 s, at most 60 s.
perf_settle() {
  local hz a b
  hz=$(getconf CLK_TCK)
  for _ in $(seq 1 30); do
    a=$(awk '{print $14+$15}' "/proc/$host_pid/stat"); sleep 2; b=$(awk '{print $14+$15}' "/proc/$host_pid/stat")
    [ $(( (b - a) * 100 / hz / 2 )) -lt 15 ] && return 0
  done
  echo "[$tag] host still busy after 60 s, going on" >&2
}

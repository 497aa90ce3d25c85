# scripts/run.sh --hosts N: N FlashSale hosts on a local Redis Cluster behind nginx (sourced by run.sh).
#
#   the cluster      scripts/services.sh cluster up (3 primaries; FLASHSALE_CLUSTER_* as there)
#   the hosts        127.0.0.1:5001 … 500N (FLASHSALE_HOSTS_PORT is the first), logs in $STATE_DIR/hosts/
#   the balancer     nginx on 127.0.0.1:5000 (FLASHSALE_LB_PORT), round robin, no sticky sessions, HTTP and WebSockets;
#                    its own config, pid and logs in $STATE_DIR/nginx (not the system service)
#
# Everything stops with Ctrl+C (or when any host exits).

many_hosts_nginx_conf() {
  local dir="$1" lb_port="$2" first="$3" count="$4" i servers=""
  for ((i = 0; i < count; i++)); do servers="${servers}    server 127.0.0.1:$((first + i)) max_fails=0;"$'\n'; done
  local user=""
  # As root, nginx's workers run as "nobody": they need to write the temp dirs below.
  [ "$(id -u)" -eq 0 ] && user="user nobody nogroup;"
  cat >"$dir/nginx.conf" <<EOF
# Written by scripts/run.sh --hosts $count; regenerated on every start.
$user
worker_processes auto;
pid $dir/nginx.pid;
error_log $dir/error.log warn;
# Two proxied sockets (client and host) per shopper: 10,000 WebSockets over two workers stay under the 20,000-file limit.
worker_rlimit_nofile 19500;
events { worker_connections 9500; }

http {
  access_log off;
  client_body_temp_path $dir/tmp/body;
  proxy_temp_path $dir/tmp/proxy;
  fastcgi_temp_path $dir/tmp/fastcgi;
  uwsgi_temp_path $dir/tmp/uwsgi;
  scgi_temp_path $dir/tmp/scgi;

  # A WebSocket upgrade is passed on as one; any other request keeps its pooled keep-alive connection to the host.
  map \$http_upgrade \$connection_upgrade { default upgrade; '' ''; }

  # Plain round robin: no sticky sessions. Any host can answer any request, because every decision is in Redis and
  # PostgreSQL and every live frame reaches every host through the Redis relay.
  upstream flashsale {
$servers    keepalive 256;
  }

  server {
    listen 127.0.0.1:$lb_port backlog=16384;  # a connect storm must not overflow the accept queue (the kernel caps it at somaxconn)
    location / {
      proxy_pass http://flashsale;
      proxy_http_version 1.1;
      proxy_set_header Upgrade \$http_upgrade;
      proxy_set_header Connection \$connection_upgrade;
      proxy_set_header Host \$host;
      proxy_set_header X-Forwarded-For \$proxy_add_x_forwarded_for;
      proxy_set_header X-Forwarded-Proto \$scheme;
      # A purchase is not idempotent without its key: never resend a POST to a second host on its own.
      proxy_next_upstream error timeout;
      # Live sockets stay open for the whole sale.
      proxy_read_timeout 1h;
      proxy_send_timeout 1h;
    }
  }
}
EOF
}

run_many_hosts() {
  local count="$1"; shift
  [ "$count" -ge 1 ] 2>/dev/null || { echo "run.sh: --hosts needs a number" >&2; exit 2; }
  local state="${FLASHSALE_STATE_DIR:-/var/tmp/flashsale}" lb_port="${FLASHSALE_LB_PORT:-5000}" first="${FLASHSALE_HOSTS_PORT:-5001}"
  # Not local: the EXIT trap below runs after this function returned.
  nginx_dir="$state/nginx" hosts_dir="$state/hosts" pids=()

  scripts/services.sh up
  scripts/services.sh cluster up
  if ! command -v nginx >/dev/null; then
    [ "$(id -u)" -eq 0 ] || { echo "run.sh: nginx is missing: apt-get install -y nginx-light (as root)" >&2; exit 1; }
    echo "[run] apt-get install -y nginx-light" >&2
    local policy=/usr/sbin/policy-rc.d created=0
    if [ ! -e "$policy" ]; then printf '#!/bin/sh\nexit 101\n' >"$policy"; chmod +x "$policy"; created=1; fi
    DEBIAN_FRONTEND=noninteractive apt-get update -q >/dev/null
    DEBIAN_FRONTEND=noninteractive apt-get install -y -q nginx-light >/dev/null
    if [ "$created" -eq 1 ]; then rm -f "$policy"; fi
  fi
  # PostgreSQL allows 300 connections (services.sh): the hosts share about 240 of them.
  local pool=$((240 / count)); [ "$pool" -ge 8 ] || pool=8
  export ConnectionStrings__Postgres="${ConnectionStrings__Postgres:-Host=127.0.0.1;Port=${FLASHSALE_PG_PORT:-5432};Username=flashsale;Password=${FLASHSALE_DB_PASSWORD:-flashsale};Database=flashsale;Maximum Pool Size=$pool}"
  export ConnectionStrings__Redis="${ConnectionStrings__Redis:-$(scripts/services.sh cluster seeds)}"
  # The hosts believe X-Forwarded-For only from the balancer (the rate limits then see each shopper's own address).
  export ForwardedHeaders__KnownProxies__0="${ForwardedHeaders__KnownProxies__0:-127.0.0.1}"

  dotnet build FlashSale.Host -c Release -nologo -v quiet
  local host=(dotnet FlashSale.Host/bin/Release/net10.0/FlashSale.Host.dll)
  "${host[@]}" migrate
  "${host[@]}" seed

  mkdir -p "$hosts_dir" "$nginx_dir/tmp"
  [ "$(id -u)" -eq 0 ] && chown -R nobody:nogroup "$nginx_dir/tmp"
  local i port
  stop_all() {
    trap - INT TERM EXIT
    [ -f "$nginx_dir/nginx.pid" ] && nginx -p "$nginx_dir" -e "$nginx_dir/error.log" -c "$nginx_dir/nginx.conf" -s quit 2>/dev/null || true
    for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
    wait 2>/dev/null || true
    echo "[run] stopped ${#pids[@]} host(s) and nginx (the cluster keeps running: scripts/services.sh cluster down)" >&2
  }
  trap stop_all INT TERM EXIT
  for ((i = 0; i < count; i++)); do
    port=$((first + i))
    (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null && { echo "run.sh: 127.0.0.1:$port is taken (FLASHSALE_HOSTS_PORT)" >&2; exit 1; }
    if [ -n "${FLASHSALE_OBSERVE:-}" ]; then
      # run.sh --observe: each host's /metrics on a port of its own, scraped by the local Prometheus.
      export Metrics__Prometheus__Enabled=true Metrics__Prometheus__Url="http://127.0.0.1:$((FLASHSALE_METRICS_PORT + i))"
      scripts/services.sh observe target "host-$((i + 1))" "127.0.0.1:$((FLASHSALE_METRICS_PORT + i))"
    fi
    "${host[@]}" --urls "http://127.0.0.1:$port" "$@" >"$hosts_dir/host-$((i + 1)).log" 2>&1 &
    pids+=("$!")
  done
  for ((i = 0; i < count; i++)); do
    port=$((first + i))
    local deadline=$((SECONDS + 120))
    until curl -fsS "http://127.0.0.1:$port/health/live" >/dev/null 2>&1; do
      kill -0 "${pids[$i]}" 2>/dev/null || { tail -n 30 "$hosts_dir/host-$((i + 1)).log" >&2; echo "run.sh: host $((i + 1)) exited" >&2; exit 1; }
      [ "$SECONDS" -lt "$deadline" ] || { echo "run.sh: host $((i + 1)) did not start" >&2; exit 1; }
      sleep 0.2
    done
  done

  many_hosts_nginx_conf "$nginx_dir" "$lb_port" "$first" "$count"
  (exec 3<>"/dev/tcp/127.0.0.1/$lb_port") 2>/dev/null && { echo "run.sh: 127.0.0.1:$lb_port is taken (FLASHSALE_LB_PORT)" >&2; exit 1; }
  nginx -p "$nginx_dir" -e "$nginx_dir/error.log" -c "$nginx_dir/nginx.conf" -t -q
  nginx -p "$nginx_dir" -e "$nginx_dir/error.log" -c "$nginx_dir/nginx.conf"
  echo "FlashSale: $count hosts (127.0.0.1:$first…$((first + count - 1)), logs in $hosts_dir) on the Redis Cluster" \
       "$ConnectionStrings__Redis, behind nginx at http://127.0.0.1:$lb_port (Ctrl+C to stop)"
  wait -n "${pids[@]}"
  echo "[run] a host exited; stopping the rest" >&2
}

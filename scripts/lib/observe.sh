# A local Prometheus for FlashSale: sourced by scripts/services.sh ("observe up|down|status|target").
#
#   FLASHSALE_PROMETHEUS_PORT   where Prometheus listens (9090, on 127.0.0.1 only)
#
# Prometheus comes from Debian's "prometheus" package (promtool with it). Its configuration, time series and log live
# in $STATE_DIR/prometheus; it loads the recording and alert rules shipped in ops/prometheus/rules and scrapes every
# host listed in $STATE_DIR/prometheus/targets/*.json (file-based discovery: "observe target NAME HOST:PORT" adds one,
# and scripts/run.sh --observe adds the hosts it starts, so Prometheus picks them up within seconds without a restart).
# It expects log, die, port_in_use and apt_install from services.sh.

PROM_PORT="${FLASHSALE_PROMETHEUS_PORT:-9090}"
PROM_DIR="$STATE_DIR/prometheus"
PROM_PID="$PROM_DIR/prometheus.pid"
PROM_LOG="$PROM_DIR/prometheus.log"
PROM_RULES="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)/ops/prometheus/rules"

prometheus_running() {
  [ -f "$PROM_PID" ] && kill -0 "$(cat "$PROM_PID")" 2>/dev/null
}

observe_installed() {
  command -v prometheus >/dev/null && command -v promtool >/dev/null || apt_install prometheus
  command -v curl >/dev/null || apt_install curl
}

observe_config() {
  mkdir -p "$PROM_DIR/data" "$PROM_DIR/targets"
  cat >"$PROM_DIR/prometheus.yml" <<YAML
# Written by scripts/services.sh observe up; edits are overwritten at the next "up".
global:
  scrape_interval: 5s
  evaluation_interval: 5s
rule_files:
  - $PROM_RULES/*.rules.yml
scrape_configs:
  - job_name: flashsale-host
    file_sd_configs:
      - files: ['$PROM_DIR/targets/*.json']
        refresh_interval: 5s
  - job_name: prometheus
    static_configs:
      - targets: ['127.0.0.1:$PROM_PORT']
YAML
}

observe_up() {
  observe_installed
  observe_config
  promtool check config "$PROM_DIR/prometheus.yml" >/dev/null || die "the generated Prometheus configuration does not check"
  if prometheus_running; then
    # Rules may have changed since it started: reload them (the lifecycle endpoint is on loopback only).
    curl -fsS -X POST "http://127.0.0.1:$PROM_PORT/-/reload" >/dev/null || die "Prometheus did not reload its configuration"
    log "Prometheus already running on 127.0.0.1:$PROM_PORT (configuration reloaded)"
  else
    port_in_use "$PROM_PORT" && die "127.0.0.1:$PROM_PORT is taken by another process; stop it or set FLASHSALE_PROMETHEUS_PORT"
    log "starting Prometheus on 127.0.0.1:$PROM_PORT (rules from $PROM_RULES)"
    nohup prometheus --config.file="$PROM_DIR/prometheus.yml" --storage.tsdb.path="$PROM_DIR/data" \
      --storage.tsdb.retention.time=7d --web.listen-address="127.0.0.1:$PROM_PORT" --web.enable-lifecycle \
      >"$PROM_LOG" 2>&1 </dev/null &
    echo $! >"$PROM_PID"
  fi
  local i
  for i in $(seq 1 100); do
    curl -fsS "http://127.0.0.1:$PROM_PORT/-/ready" >/dev/null 2>&1 && return 0
    prometheus_running || { tail -n 20 "$PROM_LOG" >&2; die "Prometheus exited while starting"; }
    sleep 0.2
  done
  tail -n 20 "$PROM_LOG" >&2; die "Prometheus was not ready within 20 s"
}

observe_down() {
  if prometheus_running; then
    log "stopping Prometheus"
    kill "$(cat "$PROM_PID")"
    local i; for i in $(seq 1 100); do prometheus_running || break; sleep 0.1; done
  fi
  rm -f "$PROM_PID" "$PROM_DIR"/targets/*.json
}

# observe target NAME HOST:PORT   scrape a host's /metrics (NAME names the file; "observe untarget NAME" removes it)
observe_target() {
  [ -n "${1:-}" ] && [ -n "${2:-}" ] || die "usage: services.sh observe target NAME HOST:PORT"
  mkdir -p "$PROM_DIR/targets"
  printf '[{"targets": ["%s"], "labels": {"host": "%s"}}]\n' "$2" "$1" >"$PROM_DIR/targets/$1.json.tmp"
  mv "$PROM_DIR/targets/$1.json.tmp" "$PROM_DIR/targets/$1.json"
}

observe_status() {
  if prometheus_running; then
    echo "prometheus: running on 127.0.0.1:$PROM_PORT (pid $(cat "$PROM_PID")), targets: $(cat "$PROM_DIR"/targets/*.json 2>/dev/null | grep -o '"[0-9.]*:[0-9]*"' | tr -d '"' | paste -sd' ' || true)"
  else
    echo "prometheus: stopped"
  fi
}

observe_main() {
  case "${1:-}" in
    up) observe_up; observe_status ;;
    down) observe_down; observe_status ;;
    status) observe_status ;;
    install) observe_installed ;;
    target) observe_target "${2:-}" "${3:-}" ;;
    untarget) rm -f "$PROM_DIR/targets/${2:?usage: services.sh observe untarget NAME}.json" ;;
    *) echo "usage: services.sh observe up|down|status|install|target NAME HOST:PORT|untarget NAME" >&2; exit 2 ;;
  esac
}

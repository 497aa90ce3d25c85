#!/usr/bin/env bash
# CPU cost per request of the host, PostgreSQL and Redis: baseline (GET /health/live) against purchases, 256 users,
# on one host kept warm across rounds. Prints one line per run: requests/s, p50/p99 and the CPU seconds each process
# used during it (divide by requests for µs per request). docs/PERFORMANCE.md ("Second round") quotes it.
#
#   scripts/perf-cpu.sh [rounds]      # default 3; the first round includes the host's warm-up
#
# Environment: PERF_PORT (5300), PERF_DB (flashsale_perf_cpu, dropped and recreated), HOST_ENV (extra variables for
# the host, e.g. "Engine__CommitsInFlight=1" for an A/B), COUNTERS=1 (save the FlashSale.Engine meter of each purchase
# run with dotnet-counters, when installed). PostgreSQL and Redis must be up (scripts/services.sh up).
set -euo pipefail
cd "$(dirname "$0")/.."
rounds="${1:-3}"
tag=perf-cpu
port="${PERF_PORT:-5300}"
db="${PERF_DB:-flashsale_perf_cpu}"
out="load-reports/perf-cpu-$(date -u +%Y%m%d-%H%M%S)"
read -r -a host_env <<<"${HOST_ENV:-}"
# shellcheck source=scripts/lib/perf-host.sh
. scripts/lib/perf-host.sh
perf_start
perf_prepare 1000

hz=$(getconf CLK_TCK)
ticks() { local sum=0 p; for p in "$@"; do sum=$((sum + $(awk '{print $14+$15}' "/proc/$p/stat" 2>/dev/null || echo 0))); done; echo "$sum"; }
measure() { # name, then load-tool arguments
  local name="$1"; shift
  local pgs redis h0 p0 r0 h1 p1 r1
  pgs=$(pgrep -d' ' postgres); redis=$(pgrep -d' ' redis-server)
  h0=$(ticks "$host_pid"); p0=$(ticks $pgs); r0=$(ticks $redis)
  if [ "${COUNTERS:-}" = 1 ] && command -v dotnet-counters >/dev/null && [ "${name#storm}" != "$name" ]; then
    (sleep 4; dotnet-counters collect -p "$host_pid" --duration 00:00:06 --counters FlashSale.Engine,System.Runtime \
      --refresh-interval 5 --format csv -o "$out/$name-counters.csv" >/dev/null 2>&1) &
  fi
  "${load[@]}" run "$@" "${common[@]}" --plain --out "$out/$name" >"$out/$name.log" 2>&1 || true
  h1=$(ticks "$host_pid"); p1=$(ticks $(pgrep -d' ' postgres)); r1=$(ticks $redis)
  python3 - "$out/$name/report.json" "$name" "$hz" $((h1 - h0)) $((p1 - p0)) $((r1 - r0)) "$(cut -d' ' -f1 /proc/loadavg)" <<'PY'
import json, sys
report = json.load(open(sys.argv[1])); step = report["steps"][-1]; hz = int(sys.argv[3])
host, pg, redis = (int(x) / hz for x in sys.argv[4:7])
print(f'{sys.argv[2]:12s} req/s {step["rps"]:8.0f}  p50 {step["latency"]["p50Ms"]:7.2f} ms  p99 {step["latency"]["p99Ms"]:8.2f} ms  '
      f'cpu-s host {host:5.1f}  postgres {pg:5.1f}  redis {redis:4.1f}  (load {sys.argv[7]})')
PY
}
for r in $(seq 1 "$rounds"); do
  measure "baseline-$r" baseline --users 256 --warmup 2s --duration 10s
  measure "storm-$r" purchase-storm --users 256 --warmup 2s --duration 10s \
    --stock 10000000 --per-user-limit 1000 --payment-window 86400 --audit-sample 200
done
echo "CPU seconds cover the whole run (2 s warm-up + 10 s); requests in that time ≈ req/s × 12." >&2

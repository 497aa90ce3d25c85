#!/usr/bin/env bash
# The open-sockets figures of docs/PERFORMANCE.md in one command: builds, starts a host of this checkout on its own
# port and a fresh database, runs `FlashSale.Load run sockets` against it, samples the host's memory, stops the host.
#
#   scripts/perf-sockets.sh [users]      # default 10000
#
# Prints: the host's RSS before the sockets, its peak and its value with every socket open, the GC heap size at that
# moment (dotnet-counters, if installed), the host's CPU time, and the load tool's summary (event lag percentiles).
# SOCK_GCDUMP=1 also writes a heap dump of the host with every socket open (dotnet-gcdump, if installed).
# SOCK_OBSERVER=N: once every socket is open, a second load process opens N more sockets on the same sale for the
# rest of the run and reports their event lag apart: what a screen sees when its client process is not itself
# receiving 10,000 sockets' frames (that process also buys one unit a second, so the sale changes twice a second).
# SOCK_TRACE=1 records 10 s of the host's threads (dotnet-trace) once every socket is open.
# SOCK_HOST_DLL runs another build of the host (e.g. an older commit's) with the same script.
#
# SOCK_WARMUP=5s leaves the first seconds out of the figures (the 10,000 handshakes: frames sent while the host is still
# accepting sockets arrive late, see docs/PERFORMANCE.md), so the lag is that of open sockets only.
# Environment: SOCK_PORT (5100), SOCK_DB (flashsale_perf_sockets), SOCK_DURATION (25s), SOCK_OUT
# (load-reports/sockets-<timestamp>); extra host environment (e.g. DOTNET_GCgen0size) passes through.
# PostgreSQL and Redis must be up (scripts/services.sh up, honouring FLASHSALE_PG_PORT / FLASHSALE_REDIS_PORT).
set -euo pipefail
cd "$(dirname "$0")/.."

users="${1:-10000}"
tag=sockets
port="${SOCK_PORT:-5100}"
db="${SOCK_DB:-flashsale_perf_sockets}"
duration="${SOCK_DURATION:-25s}"
out="${SOCK_OUT:-load-reports/sockets-$(date -u +%Y%m%d-%H%M%S)}"
host_dll="${SOCK_HOST_DLL:-}"
export PATH="$PATH:$HOME/.dotnet/tools"
# shellcheck source=scripts/lib/perf-host.sh
. scripts/lib/perf-host.sh
perf_start
perf_prepare "$users"

rss() { awk '/^VmRSS/ {print int($2/1024)}' "/proc/$host_pid/status"; }
cpu_ms() { awk -v hz="$(getconf CLK_TCK)" '{print int(($14+$15)*1000/hz)}' "/proc/${1:-$host_pid}/stat"; }
now_ms() { date +%s%3N; }
sleep 2
before=$(rss)
cpu_before=$(cpu_ms)
echo "[sockets] $(date -u +%H:%M:%S) load $(cut -d' ' -f1-3 /proc/loadavg); host pid $host_pid, RSS ${before} MB before the sockets" >&2

"${load[@]}" run sockets --users "$users" --warmup "${SOCK_WARMUP:-0s}" --duration "$duration" "${common[@]}" --plain --out "$out/run" >"$out/run.log" 2>&1 &
load_pid=$!
peak=0
open_rss=""
probed=0
observer_pid=""
while kill -0 "$load_pid" 2>/dev/null; do
  if [ "$probed" = 1 ]; then end_at=$(now_ms); end_host=$(cpu_ms); end_load=$(cpu_ms "$load_pid" 2>/dev/null || echo "$end_load"); fi
  now=$(rss)
  [ "$now" -gt "$peak" ] && peak=$now
  echo "$(date -u +%H:%M:%S.%N | cut -c1-12) $now" >>"$out/rss.log"
  # Once every socket is established (and 3 s more), read the heap there (and dump or trace it if asked).
  if [ "$probed" = 0 ] && [ "$(ss -Htn state established "( sport = :$port )" | wc -l)" -ge "$users" ]; then
    probed=1
    sleep 3
    open_rss=$(rss)
    # Steady state from here on: every socket open, one stock change a second.
    steady_at=$(now_ms); steady_host=$(cpu_ms); steady_load=$(cpu_ms "$load_pid")
    if command -v dotnet-counters >/dev/null; then
      timeout 20 dotnet-counters collect -p "$host_pid" --counters System.Runtime --format csv -o "$out/counters.csv" --duration 00:00:05 --refresh-interval 1 >/dev/null 2>&1 || true
    fi
    if [ "${SOCK_OBSERVER:-0}" -gt 0 ]; then
      sale=$(grep -oE 'sale [0-9a-f-]{36}' "$out/run.log" | head -1 | cut -d' ' -f2)
      warm=${SOCK_WARMUP:-0s}; left=$(( ${duration%s} + ${warm%s} - $(grep -c '^\[ ' "$out/run.log") - 6 ))
      "${load[@]}" run sockets --users "$SOCK_OBSERVER" --sale "$sale" --duration "${left}s" "${common[@]}" --plain \
        --out "$out/observer" >"$out/observer.log" 2>&1 &
      observer_pid=$!
    fi
    if [ "${SOCK_TRACE:-0}" = 1 ] && command -v dotnet-trace >/dev/null; then
      timeout 40 dotnet-trace collect -p "$host_pid" --profile dotnet-sampled-thread-time --duration 00:00:00:10 -o "$out/host.nettrace" >/dev/null 2>&1 || true
    fi
    if [ "${SOCK_GCDUMP:-0}" = 1 ] && command -v dotnet-gcdump >/dev/null; then
      timeout 120 dotnet-gcdump collect -p "$host_pid" -o "$out/host.gcdump" >/dev/null 2>&1 || true
    fi
  fi
  sleep 0.5
done
wait "$load_pid" || echo "[sockets] load tool exited $?" >&2
[ -n "${observer_pid:-}" ] && { wait "$observer_pid" || true; }
cpu_after=$(cpu_ms)

echo "RSS before sockets: ${before} MB; with ${users} sockets open: ${open_rss:-?} MB; peak: ${peak} MB; at the end: ${now} MB" | tee "$out/memory.txt"
if [ -n "$open_rss" ]; then
  echo "per socket: $(( (open_rss - before) * 1024 / users )) KB" | tee -a "$out/memory.txt"
fi
if [ -f "$out/counters.csv" ]; then
  cut -d, -f3- "$out/counters.csv" | sort -u -t, -k1,1 | grep -E "heap.size|committed_size|working_set|timer.count" | tee -a "$out/memory.txt" || true
fi
echo "host CPU during the run: $(( cpu_after - cpu_before )) ms" | tee -a "$out/memory.txt"
if [ -n "${end_at:-}" ] && [ "$end_at" -gt "$steady_at" ]; then
  secs=$(( (end_at - steady_at) / 1000 ))
  echo "steady state (all sockets open, ${secs} s): host $(( (end_host - steady_host) * 1000 / (end_at - steady_at) )) ms CPU/s, load tool $(( (end_load - steady_load) * 1000 / (end_at - steady_at) )) ms CPU/s" | tee -a "$out/memory.txt"
fi
grep -E "event-lag|stock-change|ws-connect" "$out/run.log" | tail -6 || true
# Lag second by second: frames sent while the host is still accepting the sockets arrive late (see PERFORMANCE.md).
python3 - "$out/run/report.json" <<'PY' || true
import json, sys
r = json.load(open(sys.argv[1]))
s = [t for t in r["timeSeries"] if t["step"] == "event-lag" and t["count"] > 0]
print("event lag by second (s: frames p50/max ms):", " ".join(f"{t['second']:.0f}:{t['count']} {t['p50Ms']:.0f}/{t['maxMs']:.0f}" for t in s))
PY
if [ -f "$out/observer.log" ]; then
  echo "observer (${SOCK_OBSERVER} sockets in a second process):"; grep -E "event-lag" "$out/observer.log" | tail -2 || true
fi
echo "[sockets] reports in $out" >&2

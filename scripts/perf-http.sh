#!/usr/bin/env bash
# The HTTP figures of docs/PERFORMANCE.md in one command: builds, starts a host of this checkout on its own port
# and database, runs FlashSale.Load against it, stops the host, prints a summary with medians.
#
#   scripts/perf-http.sh [rounds]        # default 3 rounds
#   scripts/perf-http.sh --summary DIR   # the summary table of an earlier run's reports
#
# Each round runs, back to back against the same host with the same tool:
#   1. baseline        GET /health/live, 256 users          (the HTTP ceiling of this machine)
#   2. purchase-storm  POST /api/v1/orders, 256 users, a sale big enough never to sell out
#   3. purchase-storm  10,000 users (closed model: each sends its next purchase when the last is answered)
#   4. purchase-storm  10,000 shoppers arriving at PERF_RATE/s (open model, default 4000/s)
# then once: flash-rush --users 10000 (the issue's Done-when run; audit + three reports).
# Ratio = purchase ok+refused requests/s ÷ baseline requests/s of the same round; medians over the rounds.
#
# Environment: PERF_PORT (5200), PERF_DB (flashsale_perf), PERF_DURATION (15s), PERF_WARMUP (5s), PERF_OUT
# (load-reports/perf-<timestamp>), PERF_SKIP_RUSH=1 to leave out flash-rush. PostgreSQL and Redis must be up
# (scripts/services.sh up); nothing here stops them, and Redis keys are per sale (no FLUSHALL).
set -euo pipefail
cd "$(dirname "$0")/.."

# Summary: one line per run, then the medians (report.json of each run).
summarize() {
python3 - "$1" <<'PY'
import json, os, statistics, sys
out = sys.argv[1]
def load(name):
    path = os.path.join(out, name, "report.json")
    if not os.path.exists(path):
        return None
    with open(path) as f:
        return json.load(f)
def step(report, name):
    return next((s for s in report["steps"] if s["name"] == name), None)
def ok_count(s):
    return next((o["count"] for o in s["outcomes"] if o["name"] == "ok"), 0)
runs = sorted(d for d in os.listdir(out) if os.path.isdir(os.path.join(out, d)))
print("| run | load avg (1/5/15) | req/s | ok/s | p50 ms | p99 ms | errors | audit | exit |")
print("|---|---|---:|---:|---:|---:|---:|---|---:|")
for name in runs:
    r = load(name)
    if r is None:
        continue
    main = step(r, "purchase") or step(r, "live")
    secs = r["run"]["measuredSeconds"] or 1
    audit = r.get("audit")
    la = open(os.path.join(out, name + ".loadavg")).read().strip() if os.path.exists(os.path.join(out, name + ".loadavg")) else "?"
    code = open(os.path.join(out, name + ".exit")).read().strip() if os.path.exists(os.path.join(out, name + ".exit")) else "?"
    print(f"| {name} | {la} | {main['rps']:.0f} | {ok_count(main)/secs:.0f} | {main['latency']['p50Ms']:.2f} | {main['latency']['p99Ms']:.2f} | "
          f"{r['totals']['errors'] + r['totals']['timeouts']} | {'-' if audit is None else ('passed' if audit['passed'] else 'FAILED')} | {code} |")
rounds = sorted({n.split("-")[0] for n in runs if n.startswith("r") and n[1:2].isdigit()})
ratios, b_rps, s_rps, p99s, open99 = [], [], [], [], []
for rd in rounds:
    b, s, k = load(rd + "-baseline"), load(rd + "-storm-256"), load(rd + "-storm-10000")
    if b and s:
        br, sr = step(b, "live")["rps"], step(s, "purchase")["rps"]
        b_rps.append(br); s_rps.append(sr); ratios.append(sr / br)
    if k:
        p99s.append(step(k, "purchase")["latency"]["p99Ms"])
    o = next((load(n) for n in runs if n.startswith(rd + "-open-")), None)
    if o:
        open99.append(step(o, "purchase")["latency"]["p99Ms"])
print()
if ratios:
    print(f"median over {len(ratios)} rounds: baseline {statistics.median(b_rps):.0f} req/s, purchase (256 users) {statistics.median(s_rps):.0f} req/s, "
          f"ratio {100*statistics.median(ratios):.1f} % (rounds: {', '.join(f'{100*x:.1f} %' for x in ratios)}; target >= 40 %)")
if p99s:
    print(f"median p99 of purchase with 10,000 users: {statistics.median(p99s):.1f} ms (rounds: {', '.join(f'{x:.1f}' for x in p99s)}; target < 50 ms)")
if open99:
    print(f"median p99 of purchase, 10,000 shoppers at a steady rate (open model): {statistics.median(open99):.1f} ms (rounds: {', '.join(f'{x:.1f}' for x in open99)})")
PY
}

if [ "${1:-}" = "--summary" ]; then summarize "$2"; exit 0; fi

rounds="${1:-3}"
tag=perf
port="${PERF_PORT:-5200}"
db="${PERF_DB:-flashsale_perf}"
duration="${PERF_DURATION:-15s}"
warmup="${PERF_WARMUP:-5s}"
out="${PERF_OUT:-load-reports/perf-$(date -u +%Y%m%d-%H%M%S)}"
# shellcheck source=scripts/lib/perf-host.sh
. scripts/lib/perf-host.sh
perf_start
echo "[perf] host pid $host_pid at $target; reports in $out" >&2
perf_prepare 10000

run() { # name, then load-tool arguments
  local name="$1"; shift
  perf_settle
  echo "[perf] $(date -u +%H:%M:%S) load $(cut -d' ' -f1-3 /proc/loadavg)  $name" >&2
  echo "$(cut -d' ' -f1-3 /proc/loadavg)" >"$out/$name.loadavg"
  local code=0
  "${load[@]}" run "$@" "${common[@]}" --plain --out "$out/$name" >"$out/$name.log" 2>&1 || code=$?
  echo "$code" >"$out/$name.exit"
  [ "$code" -eq 0 ] || echo "[perf] $name exited $code (see $out/$name.log)" >&2
}

# A sale that never sells out in a run, and reservations that outlive the session (an expiry sweep of
# hundreds of thousands of orders in the middle of a later run would cost it CPU).
big_sale=(--stock 10000000 --per-user-limit 1000 --payment-window 86400 --audit-sample 2000)
for r in $(seq 1 "$rounds"); do
  run "r$r-baseline" baseline --users 256 --warmup "$warmup" --duration "$duration"
  run "r$r-storm-256" purchase-storm --users 256 --warmup "$warmup" --duration "$duration" "${big_sale[@]}"
  run "r$r-storm-10000" purchase-storm --users 10000 --warmup "$warmup" --duration "$duration" "${big_sale[@]}" \
    --threshold "purchase.p99<50ms"
  # Open model: arrivals at a steady rate the host can serve, spread over 10,000 shoppers (the tool caps
  # the shoppers of an open purchase-storm at 10,000); latency from the intended send time.
  run "r$r-open-${PERF_RATE:-4000}" purchase-storm --rate "${PERF_RATE:-4000}/s" --warmup "$warmup" --duration "$duration" "${big_sale[@]}" \
    --threshold "purchase.p99<50ms"
done
if [ "${PERF_SKIP_RUSH:-0}" != 1 ]; then
  run flash-rush flash-rush --users 10000 --stock 5000 --duration 60s
fi

summarize "$out" | tee "$out/summary.md"

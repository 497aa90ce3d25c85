#!/usr/bin/env bash
# The line's options (issue 13) under a 10,000-shopper rush, on 127.0.0.1 only, bounded in time (about 6–8 minutes on
# the 2-core machine), stopping by itself. Builds this checkout, gives the host a fresh flashsale_perf_line database and
# its own port (presence timeout 5 s, so absent shoppers are skipped within the run), prepares 10,000 shoppers, then
# runs four flash-rushes (stock 2,000, admission 250/s, every shopper on a WebSocket, per-user limit 1):
#
#   plain      everyone arrives within a second of the opening (the reference)
#   prequeue   a 600 s pre-queue: the 10,000 arrive over 30 s before a start 45 s after set-up and are drawn at it
#              (step draw-wait: join -> ticket; every draw receipt re-checked from the published seed)
#   absent     30 % of the shoppers join and leave at once (steps absent, eta-quoted; the line skips them)
#   challenge  a 12-bit join challenge each shopper solves before joining (step challenge-solve)
#
# and prints a Markdown table: join, admitted -> answer, purchase, draw wait and challenge solve (p50/p99), sold
# units, audit, the load average at the start of each run, and the tool's notes on the line.
#
#   scripts/perf-line.sh                  # everything
#   scripts/perf-line.sh --summary DIR    # the table of an earlier run again
#
# Environment: LINE_PORT (5270), LINE_DB (flashsale_perf_line), LINE_OUT, LINE_USERS (10000), LINE_RUNS (default
# "plain prequeue absent challenge": run a subset). PostgreSQL and Redis must be up (scripts/services.sh up).
set -euo pipefail
cd "$(dirname "$0")/.."

summarize() {
python3 - "$1" <<'PY'
import json, os, sys
out = sys.argv[1]
def fmt(v):
    return "–" if v is None else f"{v:,.0f}" if v >= 100 else f"{v:,.1f}"
def step(r, name):
    return next((s for s in r["steps"] if s["name"] == name), None)
def pair(r, name):
    s = step(r, name)
    if not s or not s["latency"]["count"]:
        return "–"
    return f"{fmt(s['latency']['p50Ms'])} / {fmt(s['latency']['p99Ms'])}"
print("| run | load at start | join p50 / p99 ms | admitted→answer | purchase | draw wait | challenge solve | sold | audit |")
print("|---|---|--:|--:|--:|--:|--:|--:|---|")
notes = []
for run in ["plain", "prequeue", "absent", "challenge"]:
    path = os.path.join(out, run, "report.json")
    if not os.path.exists(path):
        continue
    r = json.load(open(path))
    load = open(os.path.join(out, run + ".loadavg")).read().strip() if os.path.exists(os.path.join(out, run + ".loadavg")) else "?"
    audit = r.get("audit") or {}
    sold = (audit.get("figures") or {}).get("unitsSold", "?")
    verdict = "passed" if audit.get("passed") else ("failed" if audit else "–")
    print(f"| {run} | {load} | {pair(r, 'queue-join')} | {pair(r, 'admitted-to-answer')} | "
          f"{pair(r, 'purchase')} | {pair(r, 'draw-wait')} | {pair(r, 'challenge-solve')} | {sold} | {verdict} |")
    for note in r.get("notes") or []:
        notes.append(f"- {run}: {note}")
print()
print("\n".join(notes))
PY
}

if [ "${1:-}" = "--summary" ]; then summarize "$2"; exit 0; fi

tag=line
port="${LINE_PORT:-5270}"
db="${LINE_DB:-flashsale_perf_line}"
out="${LINE_OUT:-load-reports/line-$(date -u +%Y%m%d-%H%M%S)}"
users="${LINE_USERS:-10000}"
runs=" ${LINE_RUNS:-plain prequeue absent challenge} "
host_env=(WaitingRoom__PresenceTimeoutSeconds=5 WaitingRoom__AbandonAfterSeconds=120)
# shellcheck source=scripts/lib/perf-host.sh
. scripts/lib/perf-host.sh
perf_start
echo "[line] host pid $host_pid at $target; reports in $out" >&2
perf_prepare "$users"

rush() { # name, then extra flash-rush arguments
  local name="$1"; shift
  perf_settle
  echo "[line] $(date -u +%H:%M:%S) load $(cut -d' ' -f1-3 /proc/loadavg)  $name" >&2
  cut -d' ' -f1-3 /proc/loadavg >"$out/$name.loadavg"
  local code=0
  timeout 400 "${load[@]}" run flash-rush --users "$users" --stock 2000 --admission-rate 250 --per-user-limit 1 \
    --host-pid "$host_pid" --audit-sample 2000 "$@" "${common[@]}" --plain --out "$out/$name" >"$out/$name.log" 2>&1 || code=$?
  echo "$code" >"$out/$name.exit"
  [ "$code" -eq 0 ] || echo "[line] $name exited $code (see $out/$name.log)" >&2
}

case "$runs" in *" plain "*) rush plain --duration 60s ;; esac
case "$runs" in *" prequeue "*) rush prequeue --arrival ramp:"$users"@30s --start-in 45s --prequeue-seconds 600 --duration 60s ;; esac
case "$runs" in *" absent "*) rush absent --absent 30% --duration 60s ;; esac
case "$runs" in *" challenge "*) rush challenge --challenge-bits 12 --duration 60s ;; esac

summarize "$out" | tee "$out/summary.md"

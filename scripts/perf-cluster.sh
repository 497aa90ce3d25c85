#!/usr/bin/env bash
# Purchases over many sales at once, against hosts behind a balancer (scripts/run.sh --hosts N), and the Redis CPU each
# shard spent per purchase. docs/PERFORMANCE.md ("Many hosts on Redis Cluster") quotes it.
#
#   (. scripts/lib/perf-limits.sh; scripts/run.sh --hosts 3) &   # in another terminal: cluster, 3 hosts, nginx on :5000,
#                                                                # without the per-user limits (they would answer 429)
#   scripts/perf-cluster.sh [sales] [duration]   # default 6 sales at once, 15s each
#
# Runs one FlashSale.Load purchase-storm per sale, all at the same time (PERF_USERS closed-model users each, 64), then
# prints the aggregate confirmed purchases/s and, per Redis node (PERF_REDIS_PORTS, default the cluster's 7001-7003):
# the purchases it decided (XADDs of the purchase script), its batches (EVALSHA calls), and its CPU per purchase.
# One sale is one hash slot, so `scripts/perf-cluster.sh 1` is the one-hot-sale case: one shard does all the work.
# For "one primary" start the hosts on a single Redis: ConnectionStrings__Redis=127.0.0.1:PORT scripts/run.sh --hosts 3
set -euo pipefail
cd "$(dirname "$0")/.."
sales="${1:-6}"
duration="${2:-15s}"
target="${PERF_TARGET:-http://127.0.0.1:5000}"
users="${PERF_USERS:-64}"
read -r -a ports <<<"${PERF_REDIS_PORTS:-7001 7002 7003}"
out="load-reports/perf-cluster-$(date -u +%Y%m%d-%H%M%S)"
mkdir -p "$out"

dotnet build FlashSale.Load -c Release -nologo -v quiet >/dev/null
load=(dotnet FlashSale.Load/bin/Release/net10.0/FlashSale.Load.dll)
shoppers="$out/shoppers.json"
"${load[@]}" prepare --users $((users * 4)) --target "$target" --shoppers-file "$shoppers" >/dev/null

stat() { # port -> "cpu_seconds xadd_calls evalsha_calls"
  redis-cli -p "$1" info all | tr -d '\r' | awk -F'[:,=]' '
    /^used_cpu_sys:/ { cpu += $2 } /^used_cpu_user:/ { cpu += $2 }
    /^cmdstat_xadd:/ { x = $3 } /^cmdstat_evalsha:/ { e = $3 }
    END { printf "%.3f %d %d\n", cpu, x, e }'
}
declare -A before
for p in "${ports[@]}"; do before[$p]="$(stat "$p")"; done
load_avg="$(cut -d' ' -f1-3 /proc/loadavg)"

pids=()
for ((s = 1; s <= sales; s++)); do
  "${load[@]}" run purchase-storm --target "$target" --shoppers-file "$shoppers" --users "$users" --duration "$duration" \
    --stock 10000000 --per-user-limit 1000 --payment-window 86400 --audit-sample 100 --quiet --out "$out/sale-$s" \
    >"$out/sale-$s.log" 2>&1 &
  pids+=("$!")
done
failed=0
for pid in "${pids[@]}"; do wait "$pid" || failed=$((failed + 1)); done

python3 - "$out" "$sales" <<'PY'
import json, sys, glob
out, sales = sys.argv[1], int(sys.argv[2])
total = 0.0
for path in sorted(glob.glob(f"{out}/sale-*/report.json")):
    steps = json.load(open(path))["steps"]; step = next((s for s in steps if s["name"] == "purchase"), steps[-1])
    total += step["rps"]
print(f"{sales} sale(s) at once: {total:.0f} purchases/s in total (sum of the runs' purchase rps)")
PY
for p in "${ports[@]}"; do
  read -r c0 x0 e0 <<<"${before[$p]}"
  read -r c1 x1 e1 <<<"$(stat "$p")"
  awk -v p="$p" -v c0="$c0" -v c1="$c1" -v x=$((x1 - x0)) -v e=$((e1 - e0)) 'BEGIN { c = c1 - c0
    printf "redis :%s  purchases %8d  batches %7d (%.1f per batch)  cpu %6.2f s  %s µs per purchase\n",
      p, x, e, (e ? x / e : 0), c, (x ? sprintf("%.1f", c * 1e6 / x) : "-") }'
done
echo "load average at start: $load_avg (2 cores); reports in $out; failed runs: $failed"

#!/usr/bin/env bash
# Runs every FlashSale test against a real PostgreSQL and a real Redis.
# Installs and starts what the tests need (scripts/services.sh up); each test run then creates its own fresh
# database (flashsale_test_*) and drops it at the end. Exit code: the tests'.
set -euo pipefail
cd "$(dirname "$0")/.."

scripts/services.sh up

# Browser tests drive Debian's headless Chromium through chromedriver.
if ! command -v chromium >/dev/null || ! command -v chromedriver >/dev/null; then
  echo "[test] installing chromium and chromium-driver" >&2
  [ "$(id -u)" -eq 0 ] || { echo "[test] chromium is missing: apt-get install -y chromium chromium-driver (as root)" >&2; exit 1; }
  DEBIAN_FRONTEND=noninteractive apt-get update -q >/dev/null
  DEBIAN_FRONTEND=noninteractive apt-get install -y -q chromium chromium-driver >/dev/null
fi

# The alert and recording rules: promtool's unit tests (ops/prometheus/rules), with Debian's prometheus package.
scripts/services.sh observe install
promtool test rules ops/prometheus/rules/*.test.yml || { echo "[test] the Prometheus rule tests failed" >&2; exit 1; }

export FLASHSALE_TEST_POSTGRES="${FLASHSALE_TEST_POSTGRES:-Host=127.0.0.1;Port=${FLASHSALE_PG_PORT:-5432};Username=flashsale;Password=${FLASHSALE_DB_PASSWORD:-flashsale};Database=flashsale}"
# Each test fixture drops its flashsale_test_* database when done; a run that was killed cannot, so drop the
# leftovers nobody is connected to before starting.
export PGPASSWORD="${FLASHSALE_DB_PASSWORD:-flashsale}"
pg=(psql -h 127.0.0.1 -p "${FLASHSALE_PG_PORT:-5432}" -U flashsale -d flashsale -qtA -v ON_ERROR_STOP=1)
for db in $("${pg[@]}" -c "select datname from pg_database d where datname like 'flashsale\_test\_%'
                          and not exists (select 1 from pg_stat_activity a where a.datname = d.datname)"); do
  "${pg[@]}" -c "drop database if exists \"$db\"" >/dev/null 2>&1 || true
done
unset PGPASSWORD

# Tests keep to their own Redis database (15), emptied before each run, so they neither see nor pile up next to
# the data of a FlashSale served from the same Redis by scripts/run.sh (database 0).
# The password only when that Redis asks for one (see scripts/lib/redis-auth.sh).
if [ -z "${FLASHSALE_TEST_REDIS:-}" ]; then
  . scripts/lib/redis-auth.sh
  redis_cli 127.0.0.1 "${FLASHSALE_REDIS_PORT:-6379}" -n 15 flushdb async >/dev/null
  export FLASHSALE_TEST_REDIS="127.0.0.1:${FLASHSALE_REDIS_PORT:-6379},defaultDatabase=15$(redis_password_option 127.0.0.1 "${FLASHSALE_REDIS_PORT:-6379}")"
fi
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1

log="$(mktemp)"
coverage="$(mktemp -d)"
trap 'rm -rf "$log" "$coverage"' EXIT
set +e
dotnet test FlashSale.slnx -c Release --collect:"XPlat Code Coverage" --settings coverage.runsettings \
  --results-directory "$coverage" "$@" 2>&1 | tee "$log"
code=${PIPESTATUS[0]}
set -e

# Coverage: one line per project (lines and branches). A full run (no extra arguments) fails when the engine or the
# host covers fewer lines than its floor (scripts/lib/coverage-summary.sh); a filtered run only prints.
coverage_check=check
[ "$#" -eq 0 ] || coverage_check=""
if ! scripts/lib/coverage-summary.sh "$coverage" $coverage_check && [ "$code" -eq 0 ]; then
  code=1
fi

# One plain closing line for CI: totals over every test assembly.
awk '/(Passed|Failed)!/ { for (i = 1; i <= NF; i++) { if ($i == "Passed:") p += $(i + 1); if ($i == "Failed:") f += $(i + 1) } }
     END { printf "tests: %d passed, %d failed\n", p, f }' "$log"
exit "$code"

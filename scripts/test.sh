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

export FLASHSALE_TEST_POSTGRES="${FLASHSALE_TEST_POSTGRES:-Host=127.0.0.1;Port=${FLASHSALE_PG_PORT:-5432};Username=flashsale;Password=${FLASHSALE_DB_PASSWORD:-flashsale};Database=flashsale}"
export FLASHSALE_TEST_REDIS="${FLASHSALE_TEST_REDIS:-127.0.0.1:${FLASHSALE_REDIS_PORT:-6379}}"
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1

log="$(mktemp)"
trap 'rm -f "$log"' EXIT
set +e
dotnet test FlashSale.slnx -c Release "$@" 2>&1 | tee "$log"
code=${PIPESTATUS[0]}
set -e

# One plain closing line for CI: totals over every test assembly.
awk '/(Passed|Failed)!/ { for (i = 1; i <= NF; i++) { if ($i == "Passed:") p += $(i + 1); if ($i == "Failed:") f += $(i + 1) } }
     END { printf "tests: %d passed, %d failed\n", p, f }' "$log"
exit "$code"

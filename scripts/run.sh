#!/usr/bin/env bash
# Runs FlashSale on this machine: installs and starts PostgreSQL and Redis (scripts/services.sh up), builds,
# migrates, seeds the admin and demo sales, and serves http://127.0.0.1:5000 with the shopper page at /.
# Development settings (README) unless ASPNETCORE_ENVIRONMENT says otherwise. Extra arguments go to the host,
# e.g. scripts/run.sh --urls http://127.0.0.1:5080
#
#   scripts/run.sh --hosts N    N hosts on a local Redis Cluster behind nginx on :5000 instead (scripts/lib/many-hosts.sh)
#   scripts/run.sh --observe    also a local Prometheus on http://127.0.0.1:9090 with FlashSale's rules, scraping the
#                               host's /metrics on 127.0.0.1:9464 (with --hosts, host i on 9464+i-1); combines with --hosts
#
# The mail the shop sends goes to a local smtp4dev inbox, http://127.0.0.1:5025 (scripts/lib/mail-inbox.sh;
# FLASHSALE_MAIL=off, or your own Email__Smtp__Host, leaves it out).
set -euo pipefail
cd "$(dirname "$0")/.."

# --observe may stand anywhere; it is ours, not the host's.
observe=""
args=()
for arg in "$@"; do
  if [ "$arg" = "--observe" ]; then observe=1; else args+=("$arg"); fi
done
set -- ${args[@]+"${args[@]}"}
if [ -n "$observe" ]; then
  export FLASHSALE_OBSERVE=1 FLASHSALE_METRICS_PORT="${FLASHSALE_METRICS_PORT:-9464}"
  scripts/services.sh observe up
fi

# shellcheck source=lib/mail-inbox.sh
. scripts/lib/mail-inbox.sh
start_mail_inbox

if [ "${1:-}" = "--hosts" ]; then
  export ASPNETCORE_ENVIRONMENT="${ASPNETCORE_ENVIRONMENT:-Development}"
  export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1
  # shellcheck source=lib/many-hosts.sh
  . scripts/lib/many-hosts.sh
  run_many_hosts "${2:-}" "${@:3}"
  exit
fi

scripts/services.sh up

export ASPNETCORE_ENVIRONMENT="${ASPNETCORE_ENVIRONMENT:-Development}"
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1
# Services moved off their default ports (FLASHSALE_PG_PORT / FLASHSALE_REDIS_PORT, see services.sh) are where the
# host looks too, unless connection strings were given explicitly.
if [ -n "${FLASHSALE_PG_PORT:-}" ] && [ -z "${ConnectionStrings__Postgres:-}" ]; then
  export ConnectionStrings__Postgres="Host=127.0.0.1;Port=${FLASHSALE_PG_PORT};Username=flashsale;Password=${FLASHSALE_DB_PASSWORD:-flashsale};Database=flashsale;Maximum Pool Size=100"
fi
# Redis' password only when it asks for one (a Redis started before services.sh set one has none).
. scripts/lib/redis-auth.sh
redis_option="$(redis_password_option 127.0.0.1 "${FLASHSALE_REDIS_PORT:-6379}")"
if { [ -n "${FLASHSALE_REDIS_PORT:-}" ] || [ -n "$redis_option" ]; } && [ -z "${ConnectionStrings__Redis:-}" ]; then
  export ConnectionStrings__Redis="127.0.0.1:${FLASHSALE_REDIS_PORT:-6379}${redis_option}"
fi
dotnet build FlashSale.Host -c Release -nologo -v quiet
host=(dotnet FlashSale.Host/bin/Release/net10.0/FlashSale.Host.dll)
"${host[@]}" migrate
"${host[@]}" seed
if [ -n "$observe" ]; then
  export Metrics__Prometheus__Enabled=true Metrics__Prometheus__Url="http://127.0.0.1:$FLASHSALE_METRICS_PORT"
  scripts/services.sh observe target run "127.0.0.1:$FLASHSALE_METRICS_PORT"
  echo "Prometheus at http://127.0.0.1:${FLASHSALE_PROMETHEUS_PORT:-9090} scrapes this host's metrics on 127.0.0.1:$FLASHSALE_METRICS_PORT"
fi
urls="http://127.0.0.1:5000"
public="$urls" previous=""
for arg in "$@"; do
  [ "$arg" = "--urls" ] && urls=""
  [ "$previous" = "--urls" ] && public="${arg%%;*}"
  previous="$arg"
done
# The links in the emails lead back to this page.
export Email__PublicBaseUrl="${Email__PublicBaseUrl:-$public}"
echo "FlashSale serving at ${urls:-the given --urls} (Ctrl+C to stop)"
exec "${host[@]}" ${urls:+--urls "$urls"} "$@"

# Sourced by services.sh, run.sh, test.sh and the perf scripts: the local Redis' password.
#
# scripts/services.sh starts Redis with `requirepass` set to FLASHSALE_REDIS_PASSWORD (development default below;
# choose your own anywhere else). A Redis started earlier, by an older services.sh, has no password and keeps working:
# callers pass the password only when the server asks for it (a PING answered NOAUTH).
FLASHSALE_REDIS_PASSWORD="${FLASHSALE_REDIS_PASSWORD:-flashsale-dev-redis}"

# redis_requires_password HOST PORT: true when that Redis refuses commands without AUTH.
redis_requires_password() {
  case "$(redis-cli -h "$1" -p "$2" ping 2>&1)" in *NOAUTH*) return 0 ;; *) return 1 ;; esac
}

# redis_password_option HOST PORT: ",password=…" for a StackExchange.Redis configuration string, or nothing.
redis_password_option() {
  if redis_requires_password "$1" "$2"; then printf ',password=%s' "$FLASHSALE_REDIS_PASSWORD"; fi
}

# redis_cli HOST PORT ARGS...: redis-cli with the password only when the server wants one (REDISCLI_AUTH keeps it
# off the command line).
redis_cli() {
  local host="$1" port="$2"; shift 2
  if redis_requires_password "$host" "$port"; then
    REDISCLI_AUTH="$FLASHSALE_REDIS_PASSWORD" redis-cli -h "$host" -p "$port" "$@"
  else
    redis-cli -h "$host" -p "$port" "$@"
  fi
}

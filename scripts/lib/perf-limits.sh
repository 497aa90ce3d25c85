# Sourced by scripts/lib/perf-host.sh (and, for scripts/perf-cluster.sh, by you before `scripts/run.sh --hosts N`):
# lifts the abuse limits of issue 11 for a measurement. The load tool's closed-model users send purchase after
# purchase from one address and a few hundred accounts; with the shipped limits (a bucket of 10 then 5/s per user,
# 10 sign-ins a minute per address) most requests would be 429 and the figures would measure the limiter.
# Never for a shop facing real shoppers.
export RateLimits__Auth__PermitLimit=100000
export RateLimits__Session__PermitLimit=100000
export RateLimits__Shopper__TokenLimit=1000000 RateLimits__Shopper__TokensPerSecond=1000000
export RateLimits__PayPerOrder__PermitLimit=10000
export Accounts__FailedSignInLimit=10000 Accounts__HashQueueLimit=100000

#!/usr/bin/env bash
# Prints one coverage line per project from coverlet's cobertura report(s) and checks the floors.
#   scripts/lib/coverage-summary.sh DIR [check]
# DIR holds the run's */coverage.cobertura.xml (one per test project). With "check", exits 1 when a project with a
# floor (COVERAGE_FLOORS, "Project:percent ...") covers fewer lines than that; without it, only prints.
set -euo pipefail
dir="$1"
check="${2:-}"
floors="${COVERAGE_FLOORS:-FlashSale.Engine:85 FlashSale.Host:85}"

mapfile -t reports < <(find "$dir" -name coverage.cobertura.xml 2>/dev/null)
if [ "${#reports[@]}" -eq 0 ]; then
  echo "coverage: no report was written (see coverage.runsettings)" >&2
  [ -n "$check" ] && exit 1
  exit 0
fi

# coverlet writes one <package> per assembly with its line-rate and branch-rate (0..1); the lines and branches it
# counts are the instrumented ones (sequence points), not physical lines.
awk -v floors="$floors" -v check="$check" '
  BEGIN { n = split(floors, f, " "); for (i = 1; i <= n; i++) { split(f[i], kv, ":"); floor[kv[1]] = kv[2] } }
  /<package / {
    name = $0; sub(/.*name="/, "", name); sub(/".*/, "", name)
    lr = $0; sub(/.*line-rate="/, "", lr); sub(/".*/, "", lr)
    br = $0; sub(/.*branch-rate="/, "", br); sub(/".*/, "", br)
    # Several test projects may each report an assembly: keep its best figure.
    if (!(name in lines) || lr * 100 > lines[name]) { lines[name] = lr * 100; branches[name] = br * 100 }
  }
  END {
    bad = 0
    for (name in lines) {
      verdict = ""
      if (name in floor) {
        verdict = sprintf("  (floor %d %%)", floor[name])
        if (lines[name] < floor[name]) { verdict = sprintf("  BELOW the floor of %d %%", floor[name]); bad = 1 }
      }
      printf "coverage: %-17s lines %5.1f %%  branches %5.1f %%%s\n", name, lines[name], branches[name], verdict
    }
    for (name in floor) if (!(name in lines)) { printf "coverage: %s missing from the report\n", name; bad = 1 }
    exit (check != "" && bad) ? 1 : 0
  }' "${reports[@]}" | sort
exit "${PIPESTATUS[0]}"

#!/usr/bin/env bash
# make test-matrix: sanity, units and integration on the oldest supported ansible-core (2.16, Python 3.11)
# and on the newest (2.21, Python 3.13). Every pair runs even when an earlier one fails; the summary
# says which failed, with its time.
set -uo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
PAIRS=("2.16 3.11" "2.21 3.13")
STEPS=(sanity units integration)
PASSED=0
FAILED=0
SUMMARY=()
STARTED=$SECONDS

for pair in "${PAIRS[@]}"; do
  read -r core python <<<"$pair"
  for step in "${STEPS[@]}"; do
    echo "== ansible-core $core on Python $python: $step"
    step_started=$SECONDS
    if "${MAKE:-make}" -C "$ROOT" --no-print-directory "$step" ANSIBLE_CORE="$core" PYTHON="$python"; then
      PASSED=$((PASSED + 1))
      SUMMARY+=("ok      core $core / py $python  $step ($((SECONDS - step_started)) s)")
    else
      FAILED=$((FAILED + 1))
      SUMMARY+=("FAILED  core $core / py $python  $step ($((SECONDS - step_started)) s)")
    fi
  done
done

echo "== version matrix ($((SECONDS - STARTED)) s)"
printf '%s\n' "${SUMMARY[@]}"
echo "test-matrix: $PASSED passed, $FAILED failed"
[ "$FAILED" -eq 0 ]

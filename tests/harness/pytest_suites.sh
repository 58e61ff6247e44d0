#!/usr/bin/env bash
# The suites that run outside ansible-test, each on its own so an empty or skipped suite is caught.
# Add a suite by appending its directory to PYTEST_SUITES (here or on the make command line).
# PYTEST_WORKERS=N runs a suite's tests in N processes (pytest-xdist): each test starts its own simulator
# on its own port, so tests that mostly wait on simulated actions overlap (make test uses 6 for system).
source "$(dirname "$0")/env.sh"
PYTEST_SUITES="${PYTEST_SUITES:-tests/simulator tests/contract tests/system tests/live}"
PYTEST_WORKERS="${PYTEST_WORKERS:-1}"
ensure_venv
sync_copy
# Only the contract suite reads the spec: the others run without ../shared.
if [[ " $PYTEST_SUITES " == *" tests/contract "* ]] && [ ! -f "$SPEC_DIR/droplet-actions.yaml" ]; then
  echo "OpenAPI spec not found in $SPEC_DIR: the contract tests need ../shared/do-openapi" >&2
  exit 1
fi
export DO_OPENAPI_DIR="$SPEC_DIR"
# The contract suite validates what the integration run recorded: every shard's record, in one file.
if [ -z "${SIM_RECORD_FILE:-}" ] && ls "$BUILD"/integration-records/*.jsonl >/dev/null 2>&1; then
  cat "$BUILD"/integration-records/*.jsonl >"$BUILD/integration-record.jsonl"
fi
export SIM_RECORD_FILE="${SIM_RECORD_FILE:-$BUILD/integration-record.jsonl}"
if [[ " $PYTEST_SUITES " == *" tests/contract "* ]] && [ ! -s "$SIM_RECORD_FILE" ]; then
  echo "no integration record at $SIM_RECORD_FILE: run make integration first" >&2
  exit 1
fi
REPORTS="$BUILD/pytest-reports"
mkdir -p "$REPORTS"
PARALLEL=()
if [ "$PYTEST_WORKERS" -gt 1 ]; then PARALLEL=(-n "$PYTEST_WORKERS" --dist load); fi
cd "$COLLECTION_COPY" || exit 1
failed=()
for suite in $PYTEST_SUITES; do
  report="$REPORTS/$(echo "$suite" | tr '/' '_').xml"
  rm -f "$report"
  echo "== pytest $suite"
  # Exit 5 (nothing collected) is a failure here like any other non-zero exit.
  if ! PYTHONPATH="$COPY_ROOT" python -m pytest -p no:cacheprovider -q -rs --durations=15 "${PARALLEL[@]}" \
      --junitxml="$report" "$suite"; then
    failed+=("$suite")
  elif ! python "$ROOT/tests/harness/check_junit.py" "$suite" "$report"; then
    failed+=("$suite")
  fi
done
if [ "${#failed[@]}" -gt 0 ]; then
  echo "pytest suites failed: ${failed[*]}" >&2
  exit 1
fi

#!/usr/bin/env bash
# The suites that run outside ansible-test, each on its own so an empty or skipped suite is caught.
# Add a suite by appending its directory to PYTEST_SUITES (here or on the make command line).
source "$(dirname "$0")/env.sh"
PYTEST_SUITES="${PYTEST_SUITES:-tests/simulator tests/contract tests/system tests/live}"
ensure_venv
sync_copy
if [ ! -f "$SPEC_DIR/droplet-actions.yaml" ]; then
  echo "OpenAPI spec not found in $SPEC_DIR: the contract tests need ../shared/do-openapi" >&2
  exit 1
fi
export DO_OPENAPI_DIR="$SPEC_DIR"
export SIM_RECORD_FILE="${SIM_RECORD_FILE:-$BUILD/integration-record.jsonl}"
if [ ! -s "$SIM_RECORD_FILE" ]; then
  echo "no integration record at $SIM_RECORD_FILE: run make integration first" >&2
  exit 1
fi
REPORTS="$BUILD/pytest-reports"
rm -rf "$REPORTS" && mkdir -p "$REPORTS"
cd "$COLLECTION_COPY" || exit 1
failed=()
for suite in $PYTEST_SUITES; do
  report="$REPORTS/$(echo "$suite" | tr '/' '_').xml"
  echo "== pytest $suite"
  # Exit 5 (nothing collected) is a failure here like any other non-zero exit.
  if ! PYTHONPATH="$COPY_ROOT" python -m pytest -p no:cacheprovider -q -rs --junitxml="$report" "$suite"; then
    failed+=("$suite")
  elif ! python "$ROOT/tests/harness/check_junit.py" "$suite" "$report"; then
    failed+=("$suite")
  fi
done
if [ "${#failed[@]}" -gt 0 ]; then
  echo "pytest suites failed: ${failed[*]}" >&2
  exit 1
fi

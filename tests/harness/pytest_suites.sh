#!/usr/bin/env bash
# The suites that run outside ansible-test (simulator, contract, faults), with the tool venv's pytest.
source "$(dirname "$0")/env.sh"
ensure_venv
sync_copy
if [ ! -f "$SPEC_DIR/droplet-actions.yaml" ]; then
  echo "OpenAPI spec not found in $SPEC_DIR: the contract tests need ../shared/do-openapi" >&2
  exit 1
fi
export DO_OPENAPI_DIR="$SPEC_DIR"
export SIM_RECORD_FILE="${SIM_RECORD_FILE:-$BUILD/integration-record.jsonl}"
cd "$COLLECTION_COPY"
PYTHONPATH="$COPY_ROOT" python -m pytest -p no:cacheprovider -q ${PYTEST_SUITES:-tests/simulator tests/contract tests/system}

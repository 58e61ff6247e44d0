#!/usr/bin/env bash
# ansible-test integration against a simulator started here and stopped on exit. The simulator
# records every API exchange; the contract tests validate that record against the OpenAPI spec.
# Arguments are ansible-test's (target names run only those). make test runs the targets in shards side
# by side (run_steps.py), each with its own copy, simulator and record under build/integration-records/;
# the contract step reads them all.
source "$(dirname "$0")/env.sh"

# render_template TEMPLATE OUT NAME=VALUE...: copy TEMPLATE to OUT with each ${NAME} replaced by its
# VALUE (taken literally); fail if one is left outside a comment, so a new key cannot go out unset.
render_template() {
  local template="$1" out="$2" line pair
  shift 2
  : >"$out"
  while IFS= read -r line || [ -n "$line" ]; do
    for pair in "$@"; do
      line="${line//"\${${pair%%=*}}"/"${pair#*=}"}"
    done
    printf '%s\n' "$line" >>"$out"
  done <"$template"
  if grep -n '^[^#]*[$][{]' "$out" >&2; then
    echo "$template: no value for the placeholders above" >&2
    exit 1
  fi
}

ensure_venv
install_get_pip_standin
sync_copy
SHARD="${OCEANOPS_COPY_SUFFIX:-all}"
RECORDS="$BUILD/integration-records"
if [ "$SHARD" = all ]; then rm -rf "$RECORDS"; fi  # a run of every target: older shards' records go
mkdir -p "$RECORDS"
RECORD="$RECORDS/$SHARD.jsonl"
rm -f "$RECORD"
serve_simulator "$BUILD/sim-$SHARD.port" "$BUILD/simulator-$SHARD.log" --action-seconds 0.3 --status-lag 0.2 --record "$RECORD" --quiet
TOKEN="sim-$(head -c 12 /dev/urandom | od -An -tx1 | tr -d ' \n')"
render_template "$ROOT/tests/integration/integration_config.yml.template" \
  "$COLLECTION_COPY/tests/integration/integration_config.yml" \
  DO_API_URL="$SIM_URL" DO_API_TOKEN="$TOKEN" DO_SIMULATOR=true DO_SIM_CONTROL_URL="$SIM_URL/_sim" \
  DO_RESOURCE_PREFIX="oceanops-it-$(head -c 4 /dev/urandom | od -An -tx1 | tr -d ' \n')"
cd "$COLLECTION_COPY" || exit 1
ansible-test integration --venv --python "$PYTHON" --color no "$@"
echo "integration record: $(wc -l <"$RECORD") API exchanges in $RECORD"

#!/usr/bin/env bash
# ansible-test integration against a simulator started here and stopped on exit. The simulator
# records every API exchange; the contract tests validate that record against the OpenAPI spec.
source "$(dirname "$0")/env.sh"
ensure_venv
install_get_pip_standin
sync_copy
RECORD="$BUILD/integration-record.jsonl"
rm -f "$RECORD"
serve_simulator "$BUILD/sim.port" "$BUILD/simulator.log" --action-seconds 0.3 --status-lag 0.2 --record "$RECORD" --quiet
TOKEN="sim-$(head -c 12 /dev/urandom | od -An -tx1 | tr -d ' \n')"
cat >"$COLLECTION_COPY/tests/integration/integration_config.yml" <<YAML
do_api_url: $SIM_URL
do_api_token: $TOKEN
do_simulator: true
do_sim_control_url: $SIM_URL/_sim
do_resource_prefix: oceanops-it-$(head -c 4 /dev/urandom | od -An -tx1 | tr -d ' \n')
YAML
cd "$COLLECTION_COPY" || exit 1
ansible-test integration --venv --python "$PYTHON" --color no "$@"
echo "integration record: $(wc -l <"$RECORD") API exchanges in $RECORD"

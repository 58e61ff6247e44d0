#!/usr/bin/env bash
# ansible-test integration against a simulator started here and stopped on exit. The simulator
# records every API exchange; the contract tests validate that record against the OpenAPI spec.
source "$(dirname "$0")/env.sh"
ensure_venv
install_get_pip_standin
sync_copy
RECORD="$BUILD/integration-record.jsonl"
rm -f "$RECORD" "$BUILD/sim.port"
(cd "$ROOT" && exec python3 -m simulator --port 0 --port-file "$BUILD/sim.port" --action-seconds 0.3 \
   --status-lag 0.2 --record "$RECORD" >"$BUILD/simulator.log" 2>&1) &
SIM_PID=$!
trap 'kill $SIM_PID 2>/dev/null || true' EXIT
for attempt in $(seq 50); do [ -s "$BUILD/sim.port" ] && break; sleep 0.1; done
PORT="$(cat "$BUILD/sim.port")"
TOKEN="sim-$(head -c 12 /dev/urandom | od -An -tx1 | tr -d ' \n')"
cat >"$COLLECTION_COPY/tests/integration/integration_config.yml" <<YAML
do_api_url: http://127.0.0.1:$PORT
do_api_token: $TOKEN
do_simulator: true
do_sim_control_url: http://127.0.0.1:$PORT/_sim
do_resource_prefix: oceanops-it-$(head -c 4 /dev/urandom | od -An -tx1 | tr -d ' \n')
YAML
cd "$COLLECTION_COPY"
ansible-test integration --venv --python "$PYTHON" --color no "$@"
echo "integration record: $(wc -l <"$RECORD") API exchanges in $RECORD"
